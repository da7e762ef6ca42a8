// ZooMetrics
