import { describeShippedStack } from "./program-checks";

describeShippedStack({
  stack: "prod",
  accountId: "333333333333",
  region: "eu-west-1",
  environment: "prod",
  extraCounts: {
    "aws:sns/topicSubscription:TopicSubscription": 3,
    "aws:organizations/policy:Policy": 1,
    "aws:organizations/policyAttachment:PolicyAttachment": 1,
  },
});
