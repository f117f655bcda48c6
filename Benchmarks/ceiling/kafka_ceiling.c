/*
 * The ceiling for the Swift Kafka client's benchmark: the same work written directly against
 * librdkafka in C, with the same settings (idempotent, acks=all, linger 2 ms).
 *
 *   kafka_ceiling <bootstrap> <topic> produce-batch <count>   records in flight together
 *   kafka_ceiling <bootstrap> <topic> produce-single <count>  one record at a time, each awaited
 *   kafka_ceiling <bootstrap> <topic> consume <count>         read <count> records from the beginning
 *
 * Prints one line: "<mode> <count> records in <seconds> s = <rate> records/s".
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered = 0, failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) failed++; else delivered++;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s\n", err); exit(1); }
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s bootstrap topic mode count\n", argv[0]); return 2; }
    const char *bootstrap = argv[1], *topic = argv[2], *mode = argv[3];
    long count = atol(argv[4]);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    if (strcmp(mode, "consume") == 0) {
        set(conf, "group.id", "ceiling");
        set(conf, "enable.auto.commit", "false");
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        const rd_kafka_metadata_t *md;
        rd_kafka_metadata(rk, 1, NULL, &md, 5000);
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
        for (int i = 0; i < md->topic_cnt; i++)
            if (strcmp(md->topics[i].topic, topic) == 0)
                for (int p = 0; p < md->topics[i].partition_cnt; p++)
                    rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
        rd_kafka_assign(rk, list);
        long got = 0;
        double start = 0;
        while (got < count) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
            if (!m) continue;
            if (!m->err) { if (got++ == 0) start = now(); }
            rd_kafka_message_destroy(m);
        }
        double seconds = now() - start;
        printf("consume %ld records in %.3f s = %.0f records/s\n", got, seconds, got / seconds);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
    }
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "linger.ms", "2");
    set(conf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    char value[1024];
    memset(value, 'x', sizeof value);
    char key[32];
    /* Warm up: connect and learn the topic's leaders. */
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(value, sizeof value), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 10000);
    delivered = 0;
    int single = strcmp(mode, "produce-single") == 0;
    double start = now();
    for (long i = 0; i < count; i++) {
        int n = snprintf(key, sizeof key, "k%ld", i);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, n), RD_KAFKA_V_VALUE(value, sizeof value),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 1);
        if (single) { while (delivered + failed <= i) rd_kafka_poll(rk, 1000); }
        else rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    double seconds = now() - start;
    printf("%s %ld records in %.3f s = %.0f records/s (%ld failed)\n", mode, delivered, seconds, delivered / seconds, failed);
    rd_kafka_destroy(rk);
    return 0;
}
