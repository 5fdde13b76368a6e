import fs from "node:fs";
import path from "node:path";
import { ToolRefusedError } from "../../lib/tools/errors";
import { isInside, requestedPath, resolveInside } from "../../lib/tools/builtin/path-guard";
import { testTempDir } from "../support/test-tmp";

describe("resolveInside", () => {
	let tmp: string;
	let allowed: string;
	let outside: string;
	let policy: { allowedPaths: string[]; allowAllPaths: boolean };

	beforeEach(() => {
		// realpath: on some systems the temp folder itself is behind a symlink (macOS /var → /private/var).
		tmp = fs.realpathSync(testTempDir("path-guard-"));
		allowed = path.join(tmp, "allowed");
		outside = path.join(tmp, "outside");
		fs.mkdirSync(path.join(allowed, "sub"), { recursive: true });
		fs.mkdirSync(outside);
		fs.writeFileSync(path.join(allowed, "a.txt"), "a");
		fs.writeFileSync(path.join(allowed, "sub", "b.txt"), "b");
		fs.writeFileSync(path.join(outside, "secret.txt"), "secret");
		policy = { allowedPaths: [allowed], allowAllPaths: false };
	});

	afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

	async function refused(p: Promise<unknown>): Promise<ToolRefusedError> {
		const err = await p.then(
			() => null,
			(e: unknown) => e
		);
		expect(err).toBeInstanceOf(ToolRefusedError);
		return err as ToolRefusedError;
	}

	it("resolves relative paths against the first allowed folder", async () => {
		await expect(resolveInside("a.txt", policy)).resolves.toBe(path.join(allowed, "a.txt"));
		await expect(resolveInside("sub/../sub/b.txt", policy)).resolves.toBe(path.join(allowed, "sub", "b.txt"));
		await expect(resolveInside(path.join(allowed, "sub"), policy)).resolves.toBe(path.join(allowed, "sub"));
	});

	it("resolves a new file through its nearest existing parent", async () => {
		await expect(resolveInside("new/dir/c.txt", policy)).resolves.toBe(path.join(allowed, "new", "dir", "c.txt"));
	});

	it.each([
		["../../etc/passwd"],
		["/etc/passwd"],
		["//etc/passwd"],
		["../outside/secret.txt"],
		["sub/../../outside/secret.txt"]
	])("refuses traversal %s, naming the path and the allowed folders", async requested => {
		const err = await refused(resolveInside(requested, policy));
		expect(err.message).toContain(requested);
		expect(err.message).toContain(allowed);
		expect(err.data).toMatchObject({ path: requested, allowedPaths: [allowed] });
	});

	it("refuses allowed/../outside given as an absolute path", async () => {
		await refused(resolveInside(`${allowed}/../outside/secret.txt`, policy));
	});

	it("refuses a sibling folder whose name only starts like the allowed one", async () => {
		fs.mkdirSync(`${allowed}-evil`);
		await refused(resolveInside(`${allowed}-evil`, policy));
	});

	it("refuses a NUL byte", async () => {
		const err = await refused(resolveInside("a.txt\0../../etc/passwd", policy));
		expect(err.message).toContain("NUL");
	});

	it("refuses empty and non-string paths", async () => {
		await refused(resolveInside("", policy));
		await refused(resolveInside(42 as unknown as string, policy));
	});

	it("refuses a symlink inside that points outside, and a file below it", async () => {
		fs.symlinkSync(path.join(outside, "secret.txt"), path.join(allowed, "link.txt"));
		fs.symlinkSync(outside, path.join(allowed, "linkdir"));
		await refused(resolveInside("link.txt", policy));
		await refused(resolveInside("linkdir", policy));
		await refused(resolveInside("linkdir/secret.txt", policy));
		await refused(resolveInside("linkdir/new-file.txt", policy));
	});

	it("follows a symlink that stays inside to its real path", async () => {
		fs.symlinkSync(path.join(allowed, "sub"), path.join(allowed, "alias"));
		await expect(resolveInside("alias/b.txt", policy)).resolves.toBe(path.join(allowed, "sub", "b.txt"));
	});

	it("refuses a dangling symlink (writing would create its target outside)", async () => {
		fs.symlinkSync(path.join(outside, "not-yet.txt"), path.join(allowed, "dangling"));
		await refused(resolveInside("dangling", policy));
		await refused(resolveInside("dangling/x", policy));
	});

	it("refuses a symlink loop", async () => {
		fs.symlinkSync(path.join(allowed, "loop2"), path.join(allowed, "loop1"));
		fs.symlinkSync(path.join(allowed, "loop1"), path.join(allowed, "loop2"));
		await refused(resolveInside("loop1", policy));
	});

	it("checks the real allowed folder when the configured one is itself a symlink", async () => {
		const alias = path.join(tmp, "alias-of-allowed");
		fs.symlinkSync(allowed, alias);
		const aliased = { allowedPaths: [alias], allowAllPaths: false };
		await expect(resolveInside("a.txt", aliased)).resolves.toBe(path.join(allowed, "a.txt"));
		await refused(resolveInside(path.join(outside, "secret.txt"), aliased));
	});

	it("narrows to the grant's paths", async () => {
		const narrowed = [path.join(allowed, "sub")];
		await expect(resolveInside("sub/b.txt", policy, narrowed)).resolves.toBe(path.join(allowed, "sub", "b.txt"));
		const err = await refused(resolveInside("a.txt", policy, narrowed));
		expect(err.message).toContain("grant");
		await refused(resolveInside("a.txt", policy, []));
	});

	it("allowAllPaths skips the allowlist but never the grant's narrowing", async () => {
		const all = { allowedPaths: [allowed], allowAllPaths: true };
		await expect(resolveInside(path.join(outside, "secret.txt"), all)).resolves.toBe(path.join(outside, "secret.txt"));
		await refused(resolveInside(path.join(outside, "secret.txt"), all, [allowed]));
	});

	it("refuses everything when no folder is allowed", async () => {
		const none = { allowedPaths: [], allowAllPaths: false };
		await refused(resolveInside("a.txt", none));
		await refused(resolveInside(path.join(allowed, "a.txt"), none));
	});

	it("uses the tool id it is given in refusals", async () => {
		const err = await refused(resolveInside("/etc/passwd", policy, undefined, "builtin:file_read"));
		expect(err.message).toMatch(/^builtin:file_read refused/);
	});

	it("requestedPath normalises without following links; isInside compares whole segments", () => {
		expect(requestedPath("x/../y", policy)).toBe(path.join(allowed, "y"));
		expect(isInside("/a/b", "/a")).toBe(true);
		expect(isInside("/a", "/a")).toBe(true);
		expect(isInside("/ab", "/a")).toBe(false);
		expect(isInside("/a/..b", "/a")).toBe(true);
		expect(isInside("/etc", "/")).toBe(true);
	});
});
