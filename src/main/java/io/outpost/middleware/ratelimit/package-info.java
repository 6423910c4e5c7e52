/**
 * How much a caller may do: token-bucket rate limits and persisted quotas.
 * Starting points: {@link io.outpost.middleware.ratelimit.TokenBucketLimiter},
 * {@link io.outpost.middleware.ratelimit.QuotaStore}, docs/security.md.
 */
package io.outpost.middleware.ratelimit;
