package io.outpost.demo;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One recorded sale, as stored (one JSON line each) and as served.
 *
 * @param id             this instance's sequence number; replicas number independently
 * @param till           the till that sold it ({@code X-Till}), the gateway's session key
 * @param idempotencyKey the {@code Idempotency-Key} it was recorded under; the same on every replica
 * @param originalTime   {@code X-Original-Time}: when the gateway accepted the write
 * @param delivery       {@code X-Outpost-Delivery}: {@code live}, {@code shadow} or {@code replay}
 * @param recordedAt     when this instance stored it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Sale(long id, String till, String item, int qty, String idempotencyKey, String originalTime,
                   String delivery, String recordedAt) {

    /** True when this is the order the client describes: the same till, item and quantity. */
    boolean sameOrder(String till, String item, int qty) {
        return java.util.Objects.equals(this.till, till) && this.item.equals(item) && this.qty == qty;
    }
}
