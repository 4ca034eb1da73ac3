import { describeShippedStack } from "./program-checks";

describeShippedStack({
  stack: "dev",
  accountId: "111111111111",
  region: "us-east-1",
  environment: "dev",
  extraCounts: { "aws:sns/topicSubscription:TopicSubscription": 1 },
});
