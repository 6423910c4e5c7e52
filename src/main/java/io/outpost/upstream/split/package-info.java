/**
 * Traffic splits between services: weighted (canary, blue-green) and mirroring. Starting points:
 * {@link io.outpost.upstream.split.WeightedSelector}, {@link io.outpost.upstream.split.MirrorSelector}.
 */
package io.outpost.upstream.split;
