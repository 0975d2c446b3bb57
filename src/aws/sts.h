/* sts.h - the two STS actions the mirror needs, over HTTPS with libcurl:
 * AssumeRole (signed with SigV4) and AssumeRoleWithWebIdentity (unsigned),
 * both asked for JSON and read with jansson. */
#ifndef AWS_STS_H
#define AWS_STS_H

#include <stddef.h>

#include "aws/creds.h"
#include "common/buf.h"
#include "common/err.h"

/* sts_endpoint: appends the STS endpoint for region to out:
 * AWS_ENDPOINT_URL_STS from the process environment when set and
 * non-empty (any trailing "/" kept as given), else
 * "https://sts.<region>.amazonaws.com". Never from a request. Returns OK
 * or ERR_NOMEM. */
enum err sts_endpoint(const char *region, struct buf *out);

/* sts_assume_role: POSTs Action=AssumeRole&Version=2011-06-15 with
 * RoleArn, RoleSessionName, DurationSeconds and ExternalId (when not NULL
 * or "") to the STS endpoint of region, signed with signer for that region
 * and service "sts", header Accept: application/json. timeout_ms bounds
 * the call. Returns OK and fills *out (temporary = 1), or ERR_CREDENTIALS
 * with details "STS AssumeRole: <Code>: <Message>" (or why STS could not
 * be reached, or what was wrong with its answer), or ERR_NOMEM. Details
 * never hold a secret. */
enum err sts_assume_role(const struct creds *signer, const char *region,
			 const char *role_arn, const char *external_id,
			 const char *session_name, long duration_s,
			 long timeout_ms, struct creds *out,
			 struct errinfo *ei);

/* sts_assume_role_web_identity: POSTs Action=AssumeRoleWithWebIdentity
 * (unsigned) with RoleArn, RoleSessionName, WebIdentityToken and, when
 * duration_s > 0, DurationSeconds. Same returns as sts_assume_role. */
enum err sts_assume_role_web_identity(const char *region, const char *role_arn,
				      const char *session_name,
				      const char *web_token, long duration_s,
				      long timeout_ms, struct creds *out,
				      struct errinfo *ei);

/* sts_parse_reply: reads STS's answer to action ("AssumeRole", ...): a 200
 * with {"<action>Response": {"<action>Result": {"Credentials":
 * {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}}}}
 * (Expiration a number of epoch seconds such as 1.7723232E9, or an ISO
 * 8601 text) gives OK and *out (obtained = now, temporary = 1); an error
 * answer ({"Error": {"Code", "Message"}} in JSON, or <Code>/<Message> in
 * XML) gives ERR_CREDENTIALS "STS <action>: <Code>: <Message>"; anything
 * else ERR_CREDENTIALS with the status and a short clean excerpt. secrets
 * (NULL-ended, may be NULL) are replaced by "***" in any text quoted. */
enum err sts_parse_reply(const char *action, long status, const char *body,
			 size_t len, double now, const char *const *secrets,
			 struct creds *out, struct errinfo *ei);

#endif
