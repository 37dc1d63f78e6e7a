// A real OpenID Connect provider for the single sign-on tests (the certified `oidc-provider` package).
//
//   PORT=9000 CLIENT_ID=controltrace CLIENT_SECRET=... REDIRECT_URI=http://localhost:8000/sso/callback/ \
//   ACCOUNTS_FILE=accounts.json node provider.js
//
// ACCOUNTS_FILE maps an account id (what is typed as "login" on the provider's development sign-in form) to
// its claims: {"alice": {"email": "alice@example.com", "email_verified": true, "groups": ["ct-ciso"]}}.
// The file is read on every sign-in, so a test moves someone between groups by rewriting it.
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.js: ${name} must be set`);
    process.exit(2);
  }
  return value;
};

const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;
const accounts = () => JSON.parse(readFileSync(env('ACCOUNTS_FILE'), 'utf8'));
const SCOPES = 'openid email profile groups';

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // First-party client: the consent screen is skipped by granting what ControlTrace asks for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
