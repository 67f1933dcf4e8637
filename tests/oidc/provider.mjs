// A real OpenID Connect provider for tests/test_sso.py: node-oidc-provider with its
// development login form (any password) and a fixed set of accounts and claims.
// Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  // linked by e-mail to a user the institute admin made
  tom: { email: "tom@example.org", email_verified: true, name: "Tom Trainer" },
  // unknown to ClassVault, but the role claim provisions them as a student teacher
  stella: {
    email: "stella@example.org", email_verified: true, name: "Stella Student",
    eduperson_affiliation: ["student", "member"],
  },
  // unknown to ClassVault and no mappable role: refused
  mallory: {
    email: "mallory@example.org", email_verified: true, name: "Mallory",
    eduperson_affiliation: ["employee"],
  },
  // a privileged user whose login the provider says used a second factor (REFEDS MFA)
  piet: {
    email: "piet@example.org", email_verified: true, name: "Piet Privacy",
    eduperson_assurance: ["https://refeds.org/profile/mfa"],
  },
  // the same privileged user's colleague, logged in with a password only
  anna: { email: "anna@example.org", email_verified: true, name: "Anna Admin" },
};

const configuration = {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
    grant_types: ["authorization_code"], response_types: ["code"],
  }],
  claims: {
    openid: ["sub"], email: ["email", "email_verified"], profile: ["name"],
    eduperson: ["eduperson_affiliation", "eduperson_assurance"],
  },
  scopes: ["openid", "email", "profile", "eduperson"],
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const claims = ACCOUNTS[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...claims };
      },
    };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied (the institution's own application): grant every asked scope.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), "127.0.0.1", () => console.log(`ready ${issuer}`));
