package io.outpost.replication;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.ServiceConfig;
import io.outpost.journal.Header;
import io.outpost.proxy.ForwardListener;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RetriedResponse;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.tls.UpstreamTls;
import io.outpost.runtime.BuildContext;
import io.outpost.service.Service;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.XxHash64;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code replicated} service: a stateful service with a replica per site (DESIGN.md G1-G7).
 * Writes (methods in {@code writeMethods}) are read in full, journaled and delivered to every
 * replica in session order; reads are streamed to the replica that serves the session, which is
 * always one that has received every committed write of that session.
 *
 * <pre>{@code
 * Service pos = ReplicatedService.create("pos", config, context);   // from ServiceFactory
 * }</pre>
 *
 * A write without the session key, when one is configured, is answered 400: it would otherwise be
 * ordered against nothing. A write whose body exceeds {@code maxBodySize} gets 413.
 */
public final class ReplicatedService implements Service {

    private final String name;
    private final Replication replication;
    private final ServiceConfig.Replicated config;
    private final SessionKeys sessionKeys;
    private final ForwardOptions readOptions;
    /** The longest a read can take to show whether it reached its replica: connect, then the response head. */
    private final long verdictNanos;
    private final Map<String, UpstreamTarget> targets = new ConcurrentHashMap<>();
    private final UpstreamTls tls;

    private ReplicatedService(String name, ServiceConfig.Replicated config, Replication replication, UpstreamTls tls) {
        this.name = name;
        this.config = config;
        this.replication = replication;
        this.tls = tls;
        this.sessionKeys = new SessionKeys(config.sessionKey());
        this.readOptions = new ForwardOptions((int) Math.max(1, config.timeouts().connect().toMillis()),
                Math.max(1, config.timeouts().responseHeader().toMillis()), false,
                Math.max(1, config.timeouts().idle().toMillis()));
        this.verdictNanos = config.timeouts().connect().plus(config.timeouts().responseHeader()).toNanos();
    }

    /**
     * Builds the service, taking over the running replication of the same name after a reload; the
     * reload's replica settings apply to it once the snapshot is activated ({@link BuildContext#onActivation}).
     * If the running one has no journal (it could not be opened, or was let go when it took no more writes),
     * the journal is opened again instead.
     */
    public static ReplicatedService create(String name, ServiceConfig.Replicated config, BuildContext context) {
        return create(name, config, context, Replication.Options.defaults());
    }

    public static ReplicatedService create(String name, ServiceConfig.Replicated config, BuildContext context,
                                           Replication.Options options) {
        UpstreamTls tls = UpstreamTls.configured("service " + name, config.tls());
        return new ReplicatedService(name, config, Replication.open(name, config, tls, context, options), tls);
    }

    /** Every replica's endpoints, which its health checks (when configured) watch. */
    @Override
    public List<Endpoint> endpoints() {
        List<Endpoint> all = new ArrayList<>();
        for (Replica r : replication.replicas()) {
            all.addAll(r.endpoints());
        }
        return all;
    }

    @Override
    public Optional<String> notReady() {
        String error = replication.journalError();
        if (error != null) {
            return Optional.of("its journal is unavailable (" + error + ")");
        }
        Optional<String> refused = replication.records().failure();
        if (refused.isPresent()) {
            return Optional.of("its journal refuses the replicas' answers (" + refused.get() + "); deliveries wait "
                    + "and write them again with backoff");
        }
        return replication.inDoubt().pending().map(p -> "committing " + p + "; writes are refused until then");
    }

    /** Why writes are not accepted now, in a sentence that starts with the service; empty while they are. */
    private Optional<String> writesRefused() {
        String error = replication.journalError();
        if (error != null) {
            return Optional.of("writes to " + name + " are not accepted: the journal is unavailable (" + error + ")");
        }
        InDoubt inDoubt = replication.inDoubt();
        return inDoubt.pending().map(p -> "writes to " + name + " are not accepted until the " + p
                + (inDoubt.count() == 1 ? " is" : " are") + " committed; try again shortly");
    }

    @Override
    public void handle(ProxyExchange exchange) {
        String session = sessionKeys.of(exchange);
        if (!config.writeMethods().contains(exchange.method())) {
            read(exchange, session);
            return;
        }
        if (session == null) {
            exchange.fail(HttpResponseStatus.BAD_REQUEST, "a write to " + name + " needs its session key ("
                    + sessionKeys.describe() + "); without it the write could not be ordered");
            return;
        }
        Optional<String> refused = writesRefused();
        if (refused.isPresent()) {
            exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE, refused.get());
            return;
        }
        Writes writes = replication.writes();
        exchange.readBody(config.maxBodySize(), (ex, body) -> {
            String key = ex.header(DeliveryHeaders.IDEMPOTENCY_KEY);
            List<Header> headers = new ArrayList<>(ex.request().headers().size());
            for (Map.Entry<String, String> h : ex.request().headers()) {
                if (DeliveryHeaders.stored(h.getKey())) {
                    headers.add(new Header(h.getKey(), h.getValue()));
                }
            }
            writes.write(new Writes.Request(session, key == null || key.isBlank() ? null : key.trim(), ex.method(),
                    ex.request().uri(), headers, body)).thenAccept(answer -> answer(ex, answer));
        });
    }

    private static void answer(ProxyExchange exchange, Writes.Answer answer) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (Header h : answer.headers()) {
            headers.add(h.name(), h.value());
        }
        if (answer.truncated()) {
            headers.set(DeliveryHeaders.TRUNCATED, "true");
        }
        exchange.respond(answer.status(), headers, answer.body());
    }

    private void read(ProxyExchange exchange, String session) {
        long hash = session == null ? ThreadLocalRandom.current().nextLong() : XxHash64.hash(session);
        List<Replica> order = ReplicaChooser.readOrder(replication.replicas(), r -> replication.mayServe(r, session),
                hash, config.overprovisioningFactor());
        if (order.isEmpty()) {
            exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no replica of " + name
                    + " has received every write of this session yet; try again shortly");
            return;
        }
        new Read(order).next(exchange, 0);
    }

    /**
     * A read's replicas in order, each caught up on the session when the read started; the next one is
     * tried when one is not reached, as for a write (G5): a connect failure, a reset, no response head
     * within {@code responseHeader}, or a status in {@code notReachedStatuses}. The last one's answer
     * goes to the client as it is, and only its timeout is answered 504.
     *
     * <p>Each attempt tells its replica's {@link ReadHealth} whether the replica was reached: a response head
     * is an answer, whatever its status (a status in {@code notReachedStatuses} came fast, from a replica that
     * is there); a connect failure, a reset or a header timeout is a failure.
     */
    private final class Read implements ForwardListener {
        private final List<Replica> order;
        private int at;
        /** The current attempt was given up on its header timeout rather than for its status. */
        private boolean timedOut;
        /** The current attempt's outcome has gone to its replica's read health. */
        private boolean judged;

        Read(List<Replica> order) {
            this.order = order;
        }

        void next(ProxyExchange exchange, int index) {
            at = index;
            timedOut = false;
            judged = false;
            Replica replica = order.get(index);
            replica.reads().attempt(verdictNanos);
            Endpoint e = replica.endpoint();
            exchange.forward(targets.computeIfAbsent(e.id(), id -> UpstreamTarget.of(id, tls)), this, readOptions);
        }

        private boolean anotherLeft() {
            return at + 1 < order.size();
        }

        private void judge(boolean reached) {
            if (judged) {
                return;
            }
            judged = true;
            ReadHealth health = order.get(at).reads();
            if (reached) {
                health.answered();
            } else {
                health.failed();
            }
        }

        @Override
        public boolean onNotReached(ProxyExchange exchange, UpstreamTarget target, Throwable cause) {
            judge(cause instanceof RetriedResponse && !timedOut);
            if (!anotherLeft()) {
                return false;
            }
            next(exchange, at + 1);
            return true;
        }

        @Override
        public boolean retryResponse(ProxyExchange exchange, UpstreamTarget target, int status) {
            return anotherLeft() && config.notReachedStatuses().contains(status);
        }

        /** Whatever {@code notReachedStatuses} holds (G5): the list judges only the statuses replicas send. */
        @Override
        public boolean retryTimeout(ProxyExchange exchange, UpstreamTarget target) {
            timedOut = anotherLeft();
            return timedOut;
        }

        @Override
        public void onResponse(ProxyExchange exchange, UpstreamTarget target, int status) {
            judge(true);
        }

        /** The last replica's header timeout (-504) and connect failure (-502) end here, not in onNotReached. */
        @Override
        public void onEnd(ProxyExchange exchange, UpstreamTarget target, int outcome) {
            if (outcome == -502 || outcome == -504) {
                judge(false);
            }
        }
    }

    /** Pauses deliveries to {@code replica} and stops it serving; false when there is no such replica. */
    public boolean pause(String replica) {
        Replica r = replication.replica(replica);
        if (r == null) {
            return false;
        }
        r.paused(true);
        return true;
    }

    /** Resumes a paused replica: its backlog is replayed before it serves again. */
    public boolean resume(String replica) {
        Replica r = replication.replica(replica);
        if (r == null) {
            return false;
        }
        r.paused(false);
        replication.wake();
        return true;
    }

    public Set<String> replicaNames() {
        return config.replicas().keySet();
    }

    @Override
    public Map<String, Object> describe() {
        return ReplicationStatus.describe(replication, config);
    }

    @Override
    public void close() {
        replication.release();
    }
}
