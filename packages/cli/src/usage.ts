import { CLI_VERSION } from './version.js';

/** What `ipsec-psk --help` prints. */
export const USAGE = `ipsec-psk ${CLI_VERSION}: list Cloudflare Magic WAN / Magic Transit IPsec tunnels with their key ages,
and rotate their pre-shared keys: new keys are made on this machine and stored (0600) before they are sent, then
delivered to the customer devices the operator configured (IPSEC_PSK_DELIVERY).

Usage:
  ipsec-psk list    [--name TEXT] [--older-than DAYS] [--json]
  ipsec-psk rotate  TUNNEL... [--validate-only] [--yes] [--json | --show-config]
  ipsec-psk rotate  (--name TEXT | --older-than DAYS)... [--validate-only] [--yes] [--json | --show-config]
  ipsec-psk restore TUNNEL [--yes] [--json | --show-config]
  ipsec-psk health  TUNNEL... [--wait SECONDS] [--json]
  ipsec-psk history [TUNNEL] [--json]

  TUNNEL is a tunnel id or a tunnel's exact name. rotate asks "[y/N]" on the terminal once for all tunnels.
  restore puts the tunnel's previous key back (the way back when delivering the new one failed): the key a
  rotation on this machine stored before the current one, set again with Set PSKs after the same "[y/N]".
  history shows what the audit log in IPSEC_PSK_DIR records: each rotation and how it ended, the key file in
  force, attempts that never recorded an outcome. It reads only this machine's files (no credentials needed).
  health asks Cloudflare's health checks whether the tunnels are up (the last 3 minutes; --wait keeps asking
  until every one is up or the time is over). After a key reaches its device, rotate and restore ask the same,
  waiting up to IPSEC_PSK_HEALTH_WAIT seconds (default 120; 0 to skip). The token needs Account Analytics Read.

Options:
  --account ID       the account (default CLOUDFLARE_ACCOUNT_ID)
  --name TEXT        only tunnels whose name contains TEXT (any case)
  --older-than DAYS  only tunnels whose key is at least DAYS days old, and those whose key age is unknown
  --validate-only    check that Cloudflare would accept new keys; change nothing, ask nothing
  --yes              do not ask (for scheduled jobs); the question is still printed to stderr
  --json             print the result as JSON on stdout
  --show-config      after the result, print the configuration text written for each device (it holds the key)
  --wait SECONDS     health: keep asking up to this long (default 0: ask once)
  --sandbox          use a local simulator: no account or token needed, nothing real changes; its keys, audit
                     log and simulated tunnels stay in their own directory (IPSEC_PSK_SANDBOX_DIR, default the
                     data directory's sandbox/), never in IPSEC_PSK_DIR, and nothing is delivered
  --help, --version

Environment: as the MCP server ipsec-psk-mcp (CLOUDFLARE_API_TOKEN or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY,
CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_BASE_URL, IPSEC_PSK_DIR, IPSEC_PSK_REVEAL): keys go where the server puts them,
and both share the audit log and the per-tunnel locks. IPSEC_PSK_DELIVERY names the delivery file (where each
tunnel's new key goes: a strongSwan daemon, a program, or configuration text).

Exit status: 0 done (every key applied, or validated, or listed; and delivered where a target is configured);
1 nothing changed (an error, you declined, or restore holds no previous key); 2 usage or configuration; 3 some
keys not applied or not sent (their tunnels keep the old keys); 4 some outcome unknown (the tunnel uses its old
key or the stored new one; see the result); 5 applied, but delivery to a configured target failed (the tunnel is
down until its device has the key; the result says whether restore can put the previous key back); 6 a tunnel
whose key reached its device that Cloudflare does not see up (down, or not known within the wait; the result
says which; for health: a tunnel not up).
`;
