package io.outpost.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.outpost.service.Service;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What a service may use while it is built from configuration.
 *
 * @param metrics   where it registers its meters
 * @param scheduler for timers and background work that is not on an event loop (health checks, sweeps)
 * @param clock     the wall clock (injected so tests can drive time)
 * @param journalDir the {@code journal.dir} bound at start (a reload that changes it takes effect after a restart)
 * @param built     services already built in this snapshot, by name (children of weighted/mirroring)
 * @param previous  the services of the snapshot being replaced, by name, so that state such as
 *                  endpoint health, open journals and delivery cursors carries across a reload
 * @param loops     the gateway's event loops (the ones that serve clients), for services that talk
 *                  to their backends themselves and want to answer without changing thread; null
 *                  when services are built without a proxy
 * @param onActivation registers an action to run when this snapshot is swapped in: anything that
 *                  changes state the running snapshot shares (stopping the previous service's health
 *                  checks, say) goes here rather than into the build, because a later part of the
 *                  snapshot may still fail; the actions of a rejected snapshot never run
 */
public record BuildContext(
        MeterRegistry metrics,
        ScheduledExecutorService scheduler,
        Clock clock,
        Path journalDir,
        Function<String, Service> built,
        Map<String, Service> previous,
        EventLoopGroup loops,
        Consumer<Runnable> onActivation) {
}
