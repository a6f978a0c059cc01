// A real OpenID Connect provider (the npm package oidc-provider) for Marquee's sign-in tests.
//
// Listens on 127.0.0.1 with an ephemeral port and prints `issuer <url>`. It then reads the
// relying party's redirect URI from the first line of standard input (Marquee's port is only
// known once it runs), registers one static confidential client for it, and prints `ready`.
//
// Client: id `marquee`, secret `marquee-test-secret`, authorization code with PKCE required.
// Accounts (the development login form accepts any password): `alice` (verified email, groups
// premium and staff) and `bob` (unverified email, group nobody). Consent is implied for the
// client, so a sign-in is: authorize → login form → back to the redirect URI with a code.
import http from "node:http";
import { generateKeyPairSync } from "node:crypto";
import readline from "node:readline";
import Provider from "oidc-provider";

const ACCOUNTS = {
  alice: { email: "alice@example.test", email_verified: true, preferred_username: "alice", name: "Alice", groups: ["premium", "staff"] },
  bob: { email: "bob@example.test", email_verified: false, preferred_username: "bob", name: "Bob", groups: ["nobody"] },
};
const SCOPES = "openid email profile groups";

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
console.log(`issuer ${issuer}`);

const lines = readline.createInterface({ input: process.stdin });
const redirectUri = await new Promise((resolve) => lines.once("line", (l) => resolve(l.trim())));

// A fresh signing key per run: the relying party must fetch it from the JWKS endpoint.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: `test-${Date.now()}`, use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: "marquee",
    client_secret: "marquee-test-secret",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  jwks: { keys: [signingKey] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"], groups: ["groups"] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["marquee-test-cookie-key"] },
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // The test client is first-party: grant its scopes without a consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
});
server.on("request", provider.callback());
console.log("ready");
process.stdin.on("end", () => process.exit(0));
