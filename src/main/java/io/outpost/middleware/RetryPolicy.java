package io.outpost.middleware;

import io.outpost.upstream.resilience.Backoff;

/**
 * What the {@code retry} middleware asks of the service at the end of the chain: how many times a
 * request that did not reach its endpoint may be sent again, and the backoff between tries. Only a
 * service sees where an attempt went, so it carries the retries out; a service without retries
 * ignores the policy.
 *
 * @param attempts retries after the first try
 */
public record RetryPolicy(int attempts, Backoff backoff) {

    /** The exchange attribute under which the policy travels. */
    public static final String ATTRIBUTE = "outpost.retry.policy";

    /** The policy the chain set on {@code exchange}, or null. */
    public static RetryPolicy of(Exchange exchange) {
        return (RetryPolicy) exchange.attribute(ATTRIBUTE);
    }
}
