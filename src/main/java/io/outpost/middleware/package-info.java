/**
 * The steps between a router and a service: path rewriting, headers, redirects, access control and
 * request limits. Starting points: {@link io.outpost.middleware.Middleware} (the contract),
 * {@link io.outpost.middleware.Exchange} (what a step sees) and
 * {@link io.outpost.middleware.Middlewares} (builds one from its configuration).
 */
package io.outpost.middleware;
