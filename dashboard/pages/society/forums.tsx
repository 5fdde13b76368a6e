/** Forums: the forums, a forum's threads (`#/society/forums/<forum>`), a thread with its replies and votes (`…/<forum>/<thread>`). */
import { useState } from "preact/hooks";
import type { Forum, ForumPost, Paged } from "../../../sdk/society";
import { sdk, shown, type ShownError } from "../../api";
import { ErrorBanner } from "../../components/error-banner";
import { Guarded, GuardedButton } from "../../components/guarded";
import { PagedTable } from "../../components/paged-table";
import { Time } from "../../components/time";
import { useLiveEvent } from "../../live";
import { useLoad } from "../../load";
import { href, type PageProps } from "../../router";
import { me } from "../../session";

const pageOf = <T,>(p: Paged<T>) => ({ items: p.items, total: p.total, limit: p.limit, offset: p.offset });

export function ForumsTab({ params }: PageProps) {
	const [forumId, threadId] = params;
	const [version, setVersion] = useState(0);
	useLiveEvent("forum.posted", () => setVersion(v => v + 1));
	if (forumId && threadId) return <Thread forumId={forumId} threadId={threadId} version={version} />;
	if (forumId) return <Threads forumId={forumId} version={version} />;
	return (
		<PagedTable<Forum>
			caption="Forums"
			rowKey={f => f.id}
			refresh={version}
			load={async ({ limit, offset }) => {
				const page = await sdk().society.forums.list({ page: Math.floor(offset / limit) + 1, pageSize: limit });
				return { items: page.rows, total: page.total, limit, offset };
			}}
			columns={[
				{ key: "title", title: "Forum", render: f => <a href={href("society", "forums", f.id)}>{f.title}</a> },
				{ key: "description", title: "About", render: f => <span class="text">{f.description}</span> },
				{ key: "locked", title: "State", render: f => (f.locked ? "locked" : "open") }
			]}
		/>
	);
}

function Threads({ forumId, version }: { forumId: string; version: number }) {
	const [search, setSearch] = useState("");
	const [refresh, setRefresh] = useState(0);
	return (
		<section aria-label="Threads">
			<p>
				<a href={href("society", "forums")}>All forums</a>
			</p>
			<div class="toolbar">
				<label>
					Search threads
					<input type="search" value={search} onInput={e => setSearch((e.target as HTMLInputElement).value)} />
				</label>
			</div>
			<PagedTable<ForumPost>
				caption="Threads"
				rowKey={p => p.id}
				deps={[forumId, search]}
				refresh={version + refresh}
				load={async ({ limit, offset }) => pageOf(await sdk().society.forums.posts(forumId, { search: search || undefined, limit, offset }))}
				columns={[
					{ key: "title", title: "Thread", render: p => <a href={href("society", "forums", forumId, p.id)}>{p.title ?? "(untitled)"}</a> },
					{ key: "authorId", title: "By", render: p => p.authorId },
					{ key: "score", title: "Score", render: p => p.score },
					{ key: "replyCount", title: "Replies", render: p => p.replyCount },
					{ key: "createdAt", title: "Started", render: p => <Time value={p.createdAt} /> }
				]}
			/>
			<Guarded scope="society:write">
				<NewThread forumId={forumId} onPosted={() => setRefresh(r => r + 1)} />
			</Guarded>
		</section>
	);
}

function NewThread({ forumId, onPosted }: { forumId: string; onPosted(): void }) {
	const [title, setTitle] = useState("");
	const [body, setBody] = useState("");
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const post = async () => {
		setError(undefined);
		try {
			await sdk().society.forums.post(forumId, { title, body });
			setTitle("");
			setBody("");
			onPosted();
		} catch (err) {
			setError(shown(err));
		}
	};
	return (
		<form class="stack" aria-label="New thread" onSubmit={e => (e.preventDefault(), void post())}>
			<h2>New thread</h2>
			<label>
				Title <input value={title} onInput={e => setTitle((e.target as HTMLInputElement).value)} required />
			</label>
			<label>
				Body <textarea rows={4} value={body} onInput={e => setBody((e.target as HTMLTextAreaElement).value)} required />
			</label>
			<ErrorBanner error={error} />
			<GuardedButton scope="society:write" type="submit" class="primary" disabled={!title.trim() || !body.trim()}>
				Post thread
			</GuardedButton>
		</form>
	);
}

function Post({ post, onChanged }: { post: ForumPost; onChanged(): void }) {
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const vote = async (value: -1 | 0 | 1) => {
		setError(undefined);
		try {
			await sdk().society.forums.vote(post.id, value);
			onChanged();
		} catch (err) {
			setError(shown(err));
		}
	};
	// The API refuses a vote on one's own post: the buttons say so instead.
	const own = me.value?.id === post.authorId;
	const why = own ? "No one votes on their own post" : undefined;
	return (
		<article class="post" data-post={post.id}>
			{post.title && <h3>{post.title}</h3>}
			<p class="meta">
				{post.authorKind} {post.authorId} · <Time value={post.createdAt} />
				{post.pinned && " · pinned"}
				{post.locked && " · locked"}
			</p>
			<p class="text post-body">{post.body}</p>
			<div class="votes">
				<GuardedButton scope="society:write" aria-label="Vote up" disabled={own} title={why} onClick={() => void vote(1)}>
					▲
				</GuardedButton>
				<span aria-label="Score">{post.score}</span>
				<GuardedButton scope="society:write" aria-label="Vote down" disabled={own} title={why} onClick={() => void vote(-1)}>
					▼
				</GuardedButton>
			</div>
			<ErrorBanner error={error} />
		</article>
	);
}

function Thread({ forumId, threadId, version }: { forumId: string; threadId: string; version: number }) {
	const thread = useLoad(() => sdk().society.forums.thread(threadId), [threadId, version]);
	const [reply, setReply] = useState("");
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const send = async () => {
		setError(undefined);
		try {
			await sdk().society.forums.reply(threadId, reply);
			setReply("");
			thread.reload();
		} catch (err) {
			setError(shown(err));
		}
	};
	const t = thread.data;
	return (
		<section aria-label="Thread">
			<p>
				<a href={href("society", "forums", forumId)}>Back to the threads</a>
			</p>
			<ErrorBanner error={thread.error} />
			{t && (
				<>
					<Post post={t} onChanged={thread.reload} />
					<h2>Replies ({t.replies.total})</h2>
					{t.replies.items.map(r => (
						<Post key={r.id} post={r} onChanged={thread.reload} />
					))}
					<Guarded scope="society:write">
						<form class="stack" aria-label="Reply" onSubmit={e => (e.preventDefault(), void send())}>
							<label>
								Reply <textarea rows={3} value={reply} disabled={t.locked} onInput={e => setReply((e.target as HTMLTextAreaElement).value)} required />
							</label>
							<ErrorBanner error={error} />
							<GuardedButton scope="society:write" type="submit" disabled={t.locked || !reply.trim()}>
								Reply
							</GuardedButton>
						</form>
					</Guarded>
				</>
			)}
		</section>
	);
}
