/**
 * The routing rule language and the route index: which router a request goes to.
 *
 * <p>Starting points: {@link io.outpost.router.RuleParser#parse(String)} turns rule text into a
 * {@link io.outpost.router.Rule}; {@link io.outpost.router.RouteTable#match(RequestView)} picks the
 * winning {@link io.outpost.router.Route} for a {@link io.outpost.router.RequestView}.
 */
package io.outpost.router;
