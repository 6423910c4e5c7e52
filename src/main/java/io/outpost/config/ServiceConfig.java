package io.outpost.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a router sends requests to. A service is a cluster of endpoints ({@link LoadBalancer}), a
 * composition of other services ({@link Weighted}, {@link Mirroring}) or a stateful service with a
 * replica per site ({@link Replicated}).
 */
public sealed interface ServiceConfig {

    /** The key that names this type in the file, for example {@code loadBalancer}. */
    String type();

    /** The other services this one sends traffic to, in file order. */
    default List<String> children() {
        return List.of();
    }

    /**
     * A cluster of endpoints grouped by priority. {@code hashOn} is present exactly when the policy
     * hashes (it defaults to the client IP there).
     */
    record LoadBalancer(
            LoadBalancerPolicy policy,
            Optional<RequestKey> hashOn,
            double overprovisioningFactor,
            int panicThreshold,
            List<EndpointConfig> endpoints,
            Optional<HealthCheckConfig> healthCheck,
            Optional<OutlierDetectionConfig> outlierDetection,
            Optional<RetryConfig> retry,
            CircuitBreakersConfig circuitBreakers,
            Optional<StickyConfig> sticky,
            TimeoutsConfig timeouts,
            boolean passHostHeader,
            Optional<TlsConfig.Upstream> tls) implements ServiceConfig {

        public static final double DEFAULT_OVERPROVISIONING_FACTOR = 1.4;
        public static final int DEFAULT_PANIC_THRESHOLD = 50;

        public LoadBalancer {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(hashOn, "hashOn");
            endpoints = List.copyOf(endpoints);
            Objects.requireNonNull(healthCheck, "healthCheck");
            Objects.requireNonNull(outlierDetection, "outlierDetection");
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(circuitBreakers, "circuitBreakers");
            Objects.requireNonNull(sticky, "sticky");
            Objects.requireNonNull(timeouts, "timeouts");
            Objects.requireNonNull(tls, "tls");
        }

        /** A load balancer without upstream TLS settings (https:// endpoints use the JDK's trust store). */
        public LoadBalancer(LoadBalancerPolicy policy, Optional<RequestKey> hashOn, double overprovisioningFactor,
                            int panicThreshold, List<EndpointConfig> endpoints, Optional<HealthCheckConfig> healthCheck,
                            Optional<OutlierDetectionConfig> outlierDetection, Optional<RetryConfig> retry,
                            CircuitBreakersConfig circuitBreakers, Optional<StickyConfig> sticky, TimeoutsConfig timeouts,
                            boolean passHostHeader) {
            this(policy, hashOn, overprovisioningFactor, panicThreshold, endpoints, healthCheck, outlierDetection, retry,
                    circuitBreakers, sticky, timeouts, passHostHeader, Optional.empty());
        }

        @Override
        public String type() {
            return "loadBalancer";
        }
    }

    /** Splits traffic between services by weight: canaries and blue/green. */
    record Weighted(List<WeightedService> services, Optional<StickyConfig> sticky) implements ServiceConfig {
        public Weighted {
            services = List.copyOf(services);
            Objects.requireNonNull(sticky, "sticky");
        }

        @Override
        public String type() {
            return "weighted";
        }

        @Override
        public List<String> children() {
            return services.stream().map(WeightedService::name).toList();
        }
    }

    /** One child of a {@link Weighted} service. */
    record WeightedService(String name, int weight) {
        public WeightedService {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * Sends every request to {@code service} and a copy of a percentage to each mirror; mirror answers
     * are dropped. Bodies up to {@code maxBodySize} are held for the copies.
     */
    record Mirroring(String service, List<Mirror> mirrors, long maxBodySize) implements ServiceConfig {
        public static final long DEFAULT_MAX_BODY_SIZE = 1_000_000L;

        public Mirroring {
            Objects.requireNonNull(service, "service");
            mirrors = List.copyOf(mirrors);
        }

        @Override
        public String type() {
            return "mirroring";
        }

        @Override
        public List<String> children() {
            return Stream.concat(Stream.of(service), mirrors.stream().map(Mirror::name))
                    .toList();
        }
    }

    /** One mirror of a {@link Mirroring} service and the share of requests it receives. */
    record Mirror(String name, int percent) {
        public Mirror {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * A stateful service with one replica per site. Writes are journaled and delivered to every
     * replica in session order; reads go to the best replica that has caught up on the session. See
     * DESIGN.md, "Replicated services: the guarantees".
     */
    record Replicated(
            Optional<RequestKey> sessionKey,
            Set<String> writeMethods,
            long maxBodySize,
            Duration retention,
            Set<Integer> notReachedStatuses,
            double overprovisioningFactor,
            Map<String, Replica> replicas,
            Optional<HealthCheckConfig> healthCheck,
            TimeoutsConfig timeouts,
            Optional<TlsConfig.Upstream> tls) implements ServiceConfig {

        public static final Set<String> DEFAULT_WRITE_METHODS =
                Copies.set(new LinkedHashSet<>(List.of("POST", "PUT", "PATCH", "DELETE")));
        public static final long DEFAULT_MAX_BODY_SIZE = 1_000_000L;
        public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
        public static final Set<Integer> DEFAULT_NOT_REACHED_STATUSES = Copies.set(new LinkedHashSet<>(List.of(502, 503, 504)));

        public Replicated {
            Objects.requireNonNull(sessionKey, "sessionKey");
            writeMethods = Copies.set(writeMethods);
            Objects.requireNonNull(retention, "retention");
            notReachedStatuses = Copies.set(notReachedStatuses);
            replicas = Copies.map(replicas);
            Objects.requireNonNull(healthCheck, "healthCheck");
            Objects.requireNonNull(timeouts, "timeouts");
            Objects.requireNonNull(tls, "tls");
        }

        @Override
        public String type() {
            return "replicated";
        }
    }

    /** One replica of a {@link Replicated} service: a priority level and its endpoints. */
    record Replica(int priority, List<UpstreamUrl> endpoints) {
        public Replica {
            endpoints = List.copyOf(endpoints);
        }
    }
}
