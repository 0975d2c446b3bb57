/* metadata.h - credentials from the metadata services a process running on
 * AWS can ask: the ECS container credentials endpoint and the EC2 instance
 * metadata service (IMDSv2: a session token first, then the role's
 * credentials). */
#ifndef AWS_METADATA_H
#define AWS_METADATA_H

#include <stddef.h>

#include "aws/creds.h"
#include "common/err.h"

/* metadata_ecs_configured: 1 when the environment names an ECS credentials
 * endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), else 0. */
int metadata_ecs_configured(void);

/* metadata_ecs: GETs http://169.254.170.2<RELATIVE_URI>, or FULL_URI, with
 * "Authorization: <token>" from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN when set. Returns OK and *out, or
 * ERR_CREDENTIALS ("ECS container credentials: ..."), or ERR_NOMEM. */
enum err metadata_ecs(long timeout_ms, struct creds *out, struct errinfo *ei);

/* metadata_imds_enabled: 0 when AWS_EC2_METADATA_DISABLED is "true" (any
 * case), else 1. */
int metadata_imds_enabled(void);

/* metadata_imds: IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default
 * http://169.254.169.254): PUT /latest/api/token with
 * X-aws-ec2-metadata-token-ttl-seconds: 21600, then GET
 * /latest/meta-data/iam/security-credentials/ (the role name) and
 * /latest/meta-data/iam/security-credentials/<role> with
 * X-aws-ec2-metadata-token. Each call is bounded by min(timeout_ms, 2000)
 * so that a machine off EC2 answers quickly. Returns OK and *out, or
 * ERR_CREDENTIALS ("EC2 instance metadata: ..."), or ERR_NOMEM. */
enum err metadata_imds(long timeout_ms, struct creds *out, struct errinfo *ei);

/* metadata_parse: the JSON both services answer with: {"AccessKeyId",
 * "SecretAccessKey", "Token", "Expiration": "2026-11-21T12:00:00Z"} (and
 * for IMDS "Code": "Success"). what names the source in errors. Returns OK
 * and *out (obtained = now, temporary = 1), or ERR_CREDENTIALS. */
enum err metadata_parse(const char *what, const char *body, size_t len,
			double now, struct creds *out, struct errinfo *ei);

/* metadata_parse_time: an ISO 8601 UTC time ("2026-11-21T12:00:00Z",
 * fractional seconds allowed, "+00:00" too) as epoch seconds. Returns 0 on
 * success, -1 for anything else. */
int metadata_parse_time(const char *s, double *out);

#endif
