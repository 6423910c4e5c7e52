/**
 * Active and passive health checking. Starting points:
 * {@link io.outpost.upstream.health.HttpHealthChecker}, {@link io.outpost.upstream.health.OutlierDetector}.
 */
package io.outpost.upstream.health;
