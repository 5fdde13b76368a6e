/**
 * An agent's capability grants, as an editor: every capability with what it lets the agent
 * do, granted or not; grant and revoke need an admin token. Grant requests waiting for an
 * admin link to their approval.
 */
import { api, sdk } from "../api";
import { CAPABILITIES, type Capability } from "../../sdk/capabilities";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { useLoad } from "../load";
import { href } from "../router";

export function GrantsEditor({ agentId }: { agentId: string }) {
	const grants = useLoad(() => sdk().agents.grants(agentId), [agentId]);
	const granted = new Map((grants.data?.items ?? []).map(g => [g.capability, g]));
	const pending = new Map((grants.data?.pending ?? []).map(p => [p.capability, p]));
	return (
		<section aria-labelledby="grants-title">
			<h2 id="grants-title">Grants</h2>
			<ErrorBanner error={grants.error} />
			<div class="table-scroll">
				<table>
					<caption>What {agentId} may do</caption>
					<TableHead titles={["Capability", "Lets the agent", "Granted", "Change"]} />
					<tbody>
						{(Object.keys(CAPABILITIES) as Capability[]).map(capability => {
							const grant = granted.get(capability);
							const request = pending.get(capability);
							return (
								<tr key={capability} data-capability={capability}>
									<td>
										<code>{capability}</code>
									</td>
									<td>{CAPABILITIES[capability]}</td>
									<td>
										{grant ? (
											<>
												yes, by {grant.grantedBy} <Time value={grant.grantedAt} />
												{grant.expiresAt && (
													<>
														{" "}
														until <Time value={grant.expiresAt} />
													</>
												)}
												{Object.keys(grant.constraints).length > 0 && <div class="sub">{JSON.stringify(grant.constraints)}</div>}
											</>
										) : request ? (
											<>
												requested, waiting for <a href={href("approvals", request.approvalId)}>approval</a>
											</>
										) : (
											"no"
										)}
									</td>
									<td>
										{grant ? (
											<ConfirmButton scope="admin" label="Revoke" danger title={`Revoke ${capability} from ${agentId}?`} action={() => api.del(`/agents/${encodeURIComponent(agentId)}/grants?capability=${encodeURIComponent(capability)}`)} onDone={grants.reload}>
												The agent can no longer {CAPABILITIES[capability]}.
											</ConfirmButton>
										) : (
											<ConfirmButton scope="admin" label="Grant" title={`Grant ${capability} to ${agentId}?`} action={() => api.post(`/agents/${encodeURIComponent(agentId)}/grants`, { capability })} onDone={grants.reload}>
												The agent will be able to {CAPABILITIES[capability]}.
											</ConfirmButton>
										)}
									</td>
								</tr>
							);
						})}
					</tbody>
				</table>
			</div>
		</section>
	);
}
