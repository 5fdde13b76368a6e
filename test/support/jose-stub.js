// jose ships ES modules only; Node 20 loads it from @a2a-js/sdk's CommonJS build with
// require(esm), Jest's module registry cannot. The SDK needs it only to sign and verify
// signed Agent Cards, which no test here uses: any call says so instead of passing.
const unavailable = name => () => {
	throw new Error(`jose.${name} is not available under Jest (signed Agent Cards are not tested)`);
};
module.exports = new Proxy({}, { get: (_target, name) => (name === "__esModule" ? false : unavailable(String(name))) });
