/**
 * Who is calling: jwt, apiKey, basicAuth and forwardAuth middlewares, and a router's allow list.
 * Starting points: {@link io.outpost.middleware.auth.JwtMiddleware}, {@link io.outpost.middleware.auth.Claims}
 * and {@link io.outpost.middleware.auth.Consumers} (what later steps read), docs/security.md.
 */
package io.outpost.middleware.auth;
