// Written beside the unpacked program by the single executable (sea-main.cjs): loads its entry.
'use strict';
module.exports = (url) =>
  import(url).catch((err) => {
    process.stderr.write(`rackpilot: ${err?.stack ?? err}\n`);
    process.exit(70);
  });
