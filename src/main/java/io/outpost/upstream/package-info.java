/**
 * Upstream clusters: endpoints, priority levels with Envoy's overprovisioning and panic rules, and
 * request affinity keys. Starting points: {@link io.outpost.upstream.Cluster},
 * {@link io.outpost.upstream.Endpoint}, {@link io.outpost.upstream.PriorityLoad},
 * {@link io.outpost.upstream.HashKey}.
 */
package io.outpost.upstream;
