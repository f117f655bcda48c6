/// The Swift Kafka client over librdkafka.
enum KafkaModule {}
