import { describeShippedStack } from "./program-checks";

describeShippedStack({
  stack: "staging",
  accountId: "222222222222",
  region: "eu-west-1",
  environment: "staging",
  extraCounts: { "aws:sns/topicSubscription:TopicSubscription": 2 },
});
