/**
 * Circuit breaking, retry budgets and backoff. Starting points:
 * {@link io.outpost.upstream.resilience.ResourceLimits}, {@link io.outpost.upstream.resilience.RetryBudget},
 * {@link io.outpost.upstream.resilience.CircuitBreaker}.
 */
package io.outpost.upstream.resilience;
