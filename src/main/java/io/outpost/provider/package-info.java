/**
 * Sources of configuration snapshots that push each valid change and keep the last good one.
 *
 * <p>Starting points: {@link io.outpost.provider.ConfigProvider}, {@link io.outpost.provider.FileProvider}.
 */
package io.outpost.provider;
