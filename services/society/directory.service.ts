import type { Context, ServiceSchema } from "moleculer";
import type { SqlParam } from "../../lib/kernel/database";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { NotAllowedError, NotFoundError } from "../../lib/society/errors";
import { PAGE_PARAMS, actorOf, type Page } from "../../lib/society/society-context";
import type { DirectoryEntry } from "../../lib/society/society-views";
import type { RemoteAgents } from "../../lib/tools/a2a/remote-agents";
import type { RemoteAgent } from "../../lib/tools/a2a/remote-agent-store";
import { requiresDatabase } from "../../mixins/requires-database.mixin";
import { defineService } from "../../lib/kernel/define-service";

interface Row {
	id: string;
	name: string | null;
	description: string | null;
	display_name: string | null;
	bio: string | null;
	skills: string[] | null;
	state: string;
	owner: string | null;
	reputation: string | null;
	card_url: string | null;
	url: string | null;
}

export interface SearchParams {
	q?: string;
	status?: string;
	skill?: string;
	limit?: number;
	offset?: number;
}

/** The task types an agent's manifest declares, as skills. */
const MANIFEST_SKILLS = "ARRAY(SELECT lower(jsonb_object_keys(COALESCE(a.manifest->'taskTypes', '{}'::jsonb))))";
/** A first profile saved without skills keeps the ones the directory showed (the column holds no null). */
const SKILLS_OF_MANIFEST = `SELECT ${MANIFEST_SKILLS} FROM agents a WHERE a.id = $1`;

/** An agent's skills: its profile's, else the task types its manifest declares. */
const LOCAL = `SELECT a.id, a.manifest->>'name' AS name, a.manifest->>'description' AS description, a.state, a.owner,
	p.display_name, p.bio,
	COALESCE(p.skills, ${MANIFEST_SKILLS}) AS skills,
	(SELECT sum(delta) FROM reputation_events r WHERE r.agent_id = a.id) AS reputation,
	NULL::text AS card_url, NULL::text AS url
	FROM agents a LEFT JOIN agent_profiles p ON p.agent_id = a.id`;

/** Remote A2A agents added by their cards: state `remote`, skills from the card. */
const REMOTE = `SELECT id, name, description, 'remote' AS state, added_by AS owner, NULL::text AS display_name, '' AS bio, skills,
	NULL::numeric AS reputation, card_url, url FROM remote_agents`;

const SELECT = `SELECT * FROM (${LOCAL} UNION ALL ${REMOTE}) d`;

function toEntry(r: Row): DirectoryEntry {
	return {
		id: r.id,
		name: r.name ?? r.id,
		description: r.description,
		displayName: r.display_name,
		bio: r.bio ?? "",
		skills: r.skills ?? [],
		state: r.state,
		owner: r.owner,
		reputation: Number(r.reputation ?? 0),
		...(r.card_url !== null && r.url !== null ? { remote: { cardUrl: r.card_url, url: r.url } } : {})
	};
}

/** Needed for the remote agents' actions; a directory without it lists local agents only. */
export interface DirectoryDeps {
	remotes?: RemoteAgents;
}

/** The agent directory: every agent with its profile, skills, state and reputation; search, filters, pages. */
export default function createDirectoryService(kernel: Kernel, deps: DirectoryDeps = {}): ServiceSchema {
	const db = () => kernel.db;
	const remotes = (): RemoteAgents => {
		if (!deps.remotes) throw new NotFoundError("feature", "remote agents on this node");
		return deps.remotes;
	};
	return defineService({
		name: "directory",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/directory" },

		actions: {
			search: {
				rest: "GET /",
				description: "Searches the agent directory by words, skill and status: each agent with its profile, state and reputation.",
				tool: true,
				scope: "society:read",
				params: {
					q: { type: "string", max: 200, optional: true },
					status: { type: "string", max: 40, optional: true },
					skill: { type: "string", max: 60, optional: true },
					...PAGE_PARAMS
				},
				async handler(ctx: Context<SearchParams>): Promise<Page<DirectoryEntry>> {
					const { q, status, skill, limit = 20, offset = 0 } = ctx.params;
					const params: SqlParam[] = [];
					const where: string[] = [];
					if (q) {
						const p = `$${params.push(`%${q.replace(/[\\%_]/g, "\\$&")}%`)}`;
						where.push(`(id ILIKE ${p} OR name ILIKE ${p} OR description ILIKE ${p} OR display_name ILIKE ${p} OR bio ILIKE ${p})`);
					}
					if (status) where.push(`state = $${params.push(status)}`);
					if (skill) where.push(`$${params.push(skill.toLowerCase())} = ANY(skills)`);
					const filtered = `${SELECT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
					const total = await db().query<{ n: string }>(`SELECT count(*) AS n FROM (${filtered}) f`, params);
					const { rows } = await db().query<Row>(`${filtered} ORDER BY COALESCE(reputation, 0) DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]);
					return { items: rows.map(toEntry), total: Number(total.rows[0].n), limit, offset };
				}
			},

			get: {
				rest: "GET /:id",
				description: "One agent's directory entry: display name, bio, skills, state and reputation.",
				tool: true,
				scope: "society:read",
				params: { id: { type: "string", min: 1, max: 200 } },
				async handler(ctx: Context<{ id: string }>): Promise<DirectoryEntry> {
					const { rows } = await db().query<Row>(`${SELECT} WHERE id = $1`, [ctx.params.id]);
					if (!rows[0]) throw new NotFoundError("agent", ctx.params.id);
					return toEntry(rows[0]);
				}
			},

			addRemote: {
				rest: "POST /remote",
				description: "Adds a remote A2A agent to the directory by its Agent Card URL (read through the URL guard), with an optional bearer token for it.",
				scope: "society:write",
				audit: true,
				params: {
					cardUrl: { type: "string", min: 8, max: 2000 },
					token: { type: "string", min: 1, max: 4000, optional: true }
				},
				async handler(ctx: Context<{ cardUrl: string; token?: string }, SecuredMeta & { $statusCode?: number }>): Promise<RemoteAgent> {
					const caller = actorOf(ctx);
					const { agent, created } = await remotes().add(ctx.params.cardUrl, ctx.params.token, caller.kind === "system" ? null : caller.id);
					ctx.meta.$statusCode = created ? 201 : 200;
					return agent;
				}
			},

			refreshRemote: {
				rest: "POST /remote/:id/refresh",
				description: "Reads a remote agent's Agent Card again (name, description, skills, endpoint).",
				scope: "society:write",
				audit: true,
				params: { id: { type: "string", min: 1, max: 300 } },
				async handler(ctx: Context<{ id: string }>): Promise<RemoteAgent> {
					const agent = await remotes().refresh(ctx.params.id);
					if (!agent) throw new NotFoundError("remote agent", ctx.params.id);
					return agent;
				}
			},

			removeRemote: {
				rest: "DELETE /remote/:id",
				description: "Removes a remote agent (and its stored token) from the directory.",
				scope: "society:write",
				audit: true,
				params: { id: { type: "string", min: 1, max: 300 } },
				async handler(ctx: Context<{ id: string }>): Promise<{ id: string; removed: true }> {
					if (!(await remotes().store.remove(ctx.params.id))) throw new NotFoundError("remote agent", ctx.params.id);
					return { id: ctx.params.id, removed: true };
				}
			},

			/** An agent edits its own profile; people edit the profiles of agents they own (admins: any). */
			setProfile: {
				rest: "PUT /:id",
				description: "Edits an agent's directory profile (display name, bio, skills): the agent itself, its owner or an admin.",
				tool: { caller: "id" },
				scope: "society:write",
				permission: "social.post",
				params: {
					id: { type: "string", min: 1, max: 200 },
					displayName: { type: "string", max: 100, optional: true },
					bio: { type: "string", max: 2000, optional: true },
					skills: { type: "array", items: { type: "string", min: 1, max: 60 }, max: 30, optional: true }
				},
				async handler(ctx: Context<{ id: string; displayName?: string; bio?: string; skills?: string[] }, SecuredMeta & { user?: { scopes?: string[] } }>): Promise<DirectoryEntry> {
					const { id, displayName, bio, skills } = ctx.params;
					const { rows } = await db().query<{ owner: string | null }>("SELECT owner FROM agents WHERE id = $1", [id]);
					if (!rows[0]) throw new NotFoundError("agent", id);
					const caller = actorOf(ctx);
					const admin = ctx.meta.user?.scopes?.includes("admin") ?? false;
					if (caller.kind !== "system" && !admin && caller.id !== id && caller.id !== rows[0].owner) throw new NotAllowedError(`Only agent ${id}, its owner or an admin edits its profile`, { agentId: id });
					await db().query(
						`INSERT INTO agent_profiles (agent_id, display_name, bio, skills) VALUES ($1, $2::text, COALESCE($3::text, ''), COALESCE($4::text[], (${SKILLS_OF_MANIFEST})))
						 ON CONFLICT (agent_id) DO UPDATE SET display_name = COALESCE($2, agent_profiles.display_name), bio = COALESCE($3, agent_profiles.bio),
						 skills = COALESCE($4, agent_profiles.skills), updated_at = now()`,
						[id, displayName ?? null, bio ?? null, skills ? skills.map(s => s.toLowerCase()) : null]
					);
					return this.actions.get({ id }, { parentCtx: ctx }) as Promise<DirectoryEntry>;
				}
			}
		}
	});
}
