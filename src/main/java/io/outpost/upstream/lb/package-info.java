/**
 * Load-balancing policies for one priority level. Starting points:
 * {@link io.outpost.upstream.lb.LbPolicy}, {@link io.outpost.upstream.lb.LoadBalancer}.
 */
package io.outpost.upstream.lb;
