/**
 * TLS for the gateway: certificates on entry points (SNI, file reload), TLS to upstreams, and
 * certificates obtained with ACME. Starting points: {@link io.outpost.tls.TlsRuntime},
 * {@link io.outpost.tls.EntryPointTls}, {@link io.outpost.tls.UpstreamTls}, {@link io.outpost.tls.AcmeManager}.
 */
package io.outpost.tls;
