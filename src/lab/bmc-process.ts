/**
 * A farm of lab BMCs in a process of its own, as real BMCs are separate machines: benchmarks and
 * demos measure the client, not a BMC sharing its CPU. Prints one JSON line with the endpoints,
 * then serves until stdin closes or SIGTERM.
 *
 *   tsx src/lab/bmc-process.ts '{"hosts":1000,"racks":20,"seed":1}'
 *   tsx src/lab/bmc-process.ts '{"hosts":1000,"racks":20,"seed":1}' redfish   # HTTPS Redfish BMCs
 */
import { generateLabSpec, type LabSpecOptions } from './spec.ts';
import { LabWorld } from './world.ts';
import { startLabBmcs } from './bmc-server.ts';
import { startLabRedfishBmcs } from './redfish-server.ts';

const specOptions = JSON.parse(process.argv[2] ?? '{}') as LabSpecOptions;
const world = new LabWorld(generateLabSpec(specOptions));
const lab = process.argv[3] === 'redfish' ? await startLabRedfishBmcs(world) : await startLabBmcs(world);
process.stdout.write(`${JSON.stringify({ bmcs: lab.bmcs })}\n`);

const stop = () => void lab.close().then(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
