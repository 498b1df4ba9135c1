// preinstall: when npm runs on a system Node older than rackpilot's, one line saying which Node
// rackpilot runs on and that npm's engine warnings are hidden (.npmrc), instead of a screen of
// EBADENGINE warnings. CommonJS and plain: it may run on that older Node, before any install.
// The Node that runs npm is in npm's user agent ("npm/11.19.1 node/v20.20.2 linux x64 …"); this
// script itself may already run on the project's Node 22 from node_modules/.bin.
const agent = /\bnode\/v(\d+)\.(\d+)/.exec(process.env.npm_config_user_agent ?? '');
const [major, minor] = agent ? [Number(agent[1]), Number(agent[2])] : process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stdout.write(
    `rackpilot: npm runs on Node ${major}.${minor} here; rackpilot runs on its own Node 22 ` +
      '(the `node` devDependency: npm start, npx rackpilot). npm\'s warnings that dependencies ' +
      'need Node 22 are not shown (.npmrc: loglevel=error); npm install --loglevel=warn shows them.\n',
  );
}
