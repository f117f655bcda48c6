// The librdkafka headers the Kafka module calls into. Nothing outside `Shared/Kafka/RdKafka` imports this.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
