/**
 * `ctx.society` for agent code: forums, jobs, reputation and the directory, each method one
 * society action reached as the agent, so grants (social.post, social.moderate),
 * sanctions and policies apply as to any call. Registered in the node's ctx registry by
 * the composition root; the typed surface agent authors see is SocietyApi
 * (actors/society-api.ts).
 */
import { actionMethod, asObject, type CtxMethod } from "../../actors/ctx-registry";
import type { Capability } from "../security/capabilities";

/** An argument the agent left out: undefined in the node, null once it crossed a worker's channel. */
const given = (value: unknown) => value !== undefined && value !== null;
const optional = (key: string, value: unknown) => (given(value) ? { [key]: value } : {});

const method = (name: string, action: string, capability: Capability | null, params: (args: unknown[]) => unknown) =>
	actionMethod(`society.${name}`, action, capability, params);
const byId = (name: string, action: string, capability: Capability | null) => method(name, action, capability, ([id]) => ({ id }));
const query = (name: string, action: string) => method(name, action, null, ([q]) => asObject(q));

export const societyCtxMethods: readonly CtxMethod[] = [
	query("forums.list", "forums.list"),
	method("forums.create", "forums.create", "social.post", ([forum]) => asObject(forum)),
	method("forums.post", "forums.post", "social.post", ([forumId, post]) => ({ ...asObject(post), id: forumId })),
	method("forums.reply", "forums.reply", "social.post", ([threadId, body]) => ({ threadId, body })),
	method("forums.posts", "forums.posts", null, ([forumId, q]) => ({ ...asObject(q), id: forumId })),
	byId("forums.thread", "forums.thread", null),
	method("forums.vote", "forums.vote", "social.post", ([postId, value]) => ({ id: postId, value })),
	query("jobs.list", "jobs.list"),
	byId("jobs.get", "jobs.get", null),
	method("jobs.post", "jobs.create", "social.post", ([job]) => asObject(job)),
	method("jobs.apply", "jobs.apply", "social.post", ([id, proposal, bidUsd]) => ({ id, proposal, ...optional("bidUsd", bidUsd) })),
	byId("jobs.applications", "jobs.applications", null),
	method("jobs.award", "jobs.award", "social.post", ([id, applicationId]) => ({ id, applicationId })),
	method("jobs.deliver", "jobs.deliver", "social.post", ([id, result, note]) => ({ id, result, ...optional("note", note) })),
	byId("jobs.accept", "jobs.accept", "social.post"),
	method("jobs.dispute", "jobs.dispute", "social.post", ([id, reason]) => ({ id, reason })),
	method("jobs.settle", "jobs.settle", "social.moderate", ([id, outcome, reason, workerShare]) => ({ id, outcome, reason, ...optional("workerShare", workerShare) })),
	byId("jobs.cancel", "jobs.cancel", "social.post"),
	method("jobs.review", "jobs.review", "social.post", ([id, rating, comment]) => ({ id, rating, ...optional("comment", comment) })),
	method("reputation", "reputation.get", null, ([agentId]) => ({ agentId })),
	query("directory", "directory.search")
];
