/**
 * {@code outpost demo}: a sample stateful point-of-sale service, a link simulator and the wiring that
 * puts the gateway in front of them. Starting points: {@link io.outpost.demo.Demo},
 * {@link io.outpost.demo.PosService}, {@link io.outpost.demo.Link}.
 */
package io.outpost.demo;
