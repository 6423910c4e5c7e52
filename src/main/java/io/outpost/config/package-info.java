/**
 * Configuration as immutable, validated snapshots: records for every section, YAML loading that
 * reports every error with its key path, and JSON rendering with secrets redacted.
 *
 * <p>Starting points: {@link io.outpost.config.ConfigLoader}, {@link io.outpost.config.OutpostConfig},
 * {@link io.outpost.config.ServiceConfig}, {@link io.outpost.config.MiddlewareConfig},
 * {@link io.outpost.config.ConfigJson}.
 */
package io.outpost.config;
