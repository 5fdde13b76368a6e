/** What each agent capability and token scope means, for clients that show them (the web console). */
export { CAPABILITIES, SCOPES, type Capability, type Scope } from "../lib/security/capabilities";
