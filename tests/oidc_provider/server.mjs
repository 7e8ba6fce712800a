// An independent OpenID provider for the relying-party tests: npm `oidc-provider` (pinned in
// package.json), a certified implementation nobody here wrote. Started by tests/oidc_provider/harness.py
// (the `openid_provider` pytest fixture); never part of the portal.
//
//   node tests/oidc_provider/server.mjs CONFIG.json
//
// CONFIG (all optional but port):
//   port, issuer ("http://127.0.0.1:PORT" by default; a trailing slash is kept as given),
//   keys: [{alg: "RS256"|"PS256"|"ES256", kid}]   signing keys, generated here; the first signs,
//   clients: [{client_id, client_secret, redirect_uris, post_logout_redirect_uris,
//              token_endpoint_auth_method, id_token_signed_response_alg, jwks, ...}]  (oidc-provider
//              client metadata; backchannel_logout_uri "SELF" = this server's capture endpoint),
//   accounts: {sub: {claim: value}}            what each account asserts,
//   claims_in_id_token: true                   false: scope claims only at the userinfo endpoint,
//   scopes: {scope: [claim names]}             extra scopes and the claims they release,
//   minimal_discovery: false                   true: discovery lists only the required fields,
//   end_session: true, backchannel: true, userinfo: true.
//
// Interactions are scripted, no browser needed: GET /interaction/UID answers a small HTML login form
// (200, `id="op-login"`) when the provider wants a login; POST /interaction/UID/login with
// `login=SUB` signs SUB in. Consent is granted without asking.
//
// Test endpoints (never in a real provider): POST /__test/rotate {keys} (new signing keys; the old
// keys stay published after the new ones unless `drop_old`), POST /__test/accounts {sub: claims},
// POST /__test/backchannel-logout {client_id, sub} (the provider sends its logout token for the
// account's last session), GET /__test/backchannel (the logout tokens received by "SELF"),
// GET /__test/sessions (sid of each account's last sign-in), POST /__test/backchannel (capture).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const port = config.port;
const base = `http://127.0.0.1:${port}`;
const issuer = config.issuer || base;
let accounts = config.accounts || {};
const received = [];
const lastSid = {};

function generate({ alg = 'RS256', kid }) {
  const pair = alg.startsWith('ES')
    ? crypto.generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg] })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), alg, kid: kid || crypto.randomUUID(), use: 'sig' };
}

let keys = (config.keys || [{ alg: 'RS256', kid: 'k1' }]).map(generate);
const REQUIRED_DISCOVERY = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri',
  'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported'];

function clients() {
  return (config.clients || []).map((client) => {
    const out = { grant_types: ['authorization_code'], response_types: ['code'], ...client };
    if (out.backchannel_logout_uri === 'SELF') out.backchannel_logout_uri = `${base}/__test/backchannel`;
    if (config.backchannel === false) delete out.backchannel_logout_uri;
    return out;
  });
}

function build() {
  const scopes = config.scopes || {};
  const claims = {
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'name', 'amr', 'acr', 'loa', 'national_id', 'business_id',
      'organisation_name', 'organisation_roles'],
    email: ['email', 'email_verified'],
    ...scopes,
  };
  const provider = new Provider(issuer, {
    clients: clients(),
    jwks: { keys },
    cookies: { keys: ['harness-cookie-key'] },
    claims,
    scopes: ['openid', 'offline_access', ...Object.keys(claims).filter((s) => s !== 'openid')],
    conformIdTokenClaims: config.claims_in_id_token === false,
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'ES384', 'ES512'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: config.userinfo !== false },
      rpInitiatedLogout: { enabled: config.end_session !== false },
      backchannelLogout: { enabled: config.backchannel !== false },
    },
    // Claims an account asserts; `amr` and `acr` of the ID token come from the account too.
    async findAccount(ctx, sub) {
      const asserted = accounts[sub] || {};
      return { accountId: sub, async claims() { return { ...asserted, sub }; } };
    },
    async loadExistingGrant(ctx) {
      if (!ctx.oidc.session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
      grant.addOIDCClaims(Object.values(claims).flat());
      await grant.save();
      return grant;
    },
    ttl: { Session: 3600, Interaction: 600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Grant: 3600 },
    pkce: { required: () => true },
    renderError(ctx, out) { ctx.type = 'json'; ctx.body = out; },
    // The back-channel logout goes to this server's capture endpoint on 127.0.0.1, which the
    // provider's SSRF protection (its own dispatcher) refuses: the tests' provider drops it.
    fetch(url, options) { const { dispatcher, ...rest } = options; return globalThis.fetch(url, rest); },
  });
  provider.proxy = false;
  provider.on('authorization.success', (ctx) => {
    const { session, client } = ctx.oidc;
    if (session?.accountId && client) lastSid[session.accountId] = session.sidFor(client.clientId);
  });
  provider.use(async (ctx, next) => {
    await next();
    if (config.minimal_discovery && ctx.path.endsWith('/.well-known/openid-configuration') && ctx.body) {
      const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
      ctx.body = Object.fromEntries(REQUIRED_DISCOVERY.map((k) => [k, body[k]]));
    }
  });
  return provider;
}

let provider = build();

const LOGIN = (uid) => `<!DOCTYPE html><html lang="en"><head><title>Sign in</title></head><body>
<form id="op-login" method="post" action="/interaction/${uid}/login"><label>Account <input name="login"></label>
<button>Sign in</button></form></body></html>`;

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, data, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(data) : data);
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    if (req.method === 'POST' && action === 'login') {
      const login = new URLSearchParams(await body(req)).get('login');
      if (!login) return send(res, 400, LOGIN(uid), 'text/html');
      // `acr` and `amr` of an ID token are the login's (oidc-provider overrides the account's with them)
      const { acr, amr } = accounts[login] || {};
      const result = { accountId: login, ...(acr !== undefined && { acr }), ...(amr !== undefined && { amr }) };
      return provider.interactionFinished(req, res, { login: result }, { mergeWithLastSubmission: false });
    }
    return send(res, 200, LOGIN(uid), 'text/html');
  }
  // consent: grant what the client asked for
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId: grant.jti } }, { mergeWithLastSubmission: true });
}

async function admin(req, res, url) {
  const data = req.method === 'POST' ? await body(req) : '';
  switch (`${req.method} ${url.pathname}`) {
    case 'POST /__test/rotate': {
      const wanted = JSON.parse(data);
      const fresh = wanted.keys.map(generate);
      keys = wanted.drop_old ? fresh : [...fresh, ...keys];
      provider = build();
      return send(res, 200, { kids: keys.map((k) => k.kid) });
    }
    case 'POST /__test/accounts':
      accounts = { ...accounts, ...JSON.parse(data) };
      return send(res, 200, {});
    case 'POST /__test/backchannel':
      received.push(new URLSearchParams(data).get('logout_token'));
      return send(res, 200, '', 'text/plain');
    case 'GET /__test/backchannel':
      return send(res, 200, received);
    case 'GET /__test/sessions':
      return send(res, 200, lastSid);
    case 'POST /__test/backchannel-logout': {
      const { client_id: clientId, sub } = JSON.parse(data);
      const client = await provider.Client.find(clientId);
      try {
        await client.backchannelLogout(sub, lastSid[sub]);
        return send(res, 200, { sid: lastSid[sub] });
      } catch (error) {
        return send(res, 502, { error: String(error) });
      }
    }
    default:
      return send(res, 404, { error: 'not_found' });
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  try {
    if (url.pathname.startsWith('/__test/')) return await admin(req, res, url);
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    return provider.callback()(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, { error: String(error) });
  }
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
