import { resourcePolicy, judgeUses } from "../runtime/policy";
import { RULES, judgeEncryption, kmsKeyAllowed } from "../rules/rules";
import { MAKERS, TYPES, USERS, madeImages } from "../rules/resources";
import { UNKNOWN } from "../rules/values";

const FIX_MADE =
  "Fix: make the image with encryption on and a customer-managed KMS key (AmiCopy encrypted=true with kmsKeyId; Image Builder amiDistributionConfiguration.kmsKeyId).";

/** Practice 3: AMI data encrypted with customer-managed KMS keys. */
export const ec2AmiRequireEncryption = resourcePolicy({
  rule: RULES.unencrypted,
  types: [...USERS, ...MAKERS],
  scansUnlisted: true,
  async validate(view, report) {
    const allowed = view.settings.allowedKmsKeys;
    for (const made of madeImages(view.type, view.props)) {
      const at = made.path ? ` (${made.path})` : "";
      if (made.encrypted === null) {
        report(
          `the AMI it makes takes whatever encryption the instance's volumes have, which the pack cannot verify${at}. Fix: make images with Image Builder or an encrypted AmiCopy under a customer-managed key.`,
        );
        continue;
      }
      if (made.encrypted === UNKNOWN || made.kmsKeyId === UNKNOWN) continue;
      if (made.encrypted !== true) {
        report(`the AMI it makes is not encrypted${at}. ${FIX_MADE}`);
        continue;
      }
      if (view.type !== TYPES.ami && made.kmsKeyId === undefined) {
        report(
          `the AMI it makes is encrypted with the default key, not a customer-managed KMS key${at}. ${FIX_MADE}`,
        );
        continue;
      }
      if (made.kmsKeyId !== undefined && !kmsKeyAllowed(made.kmsKeyId, allowed)) {
        report(
          `the AMI it makes is encrypted with KMS key ${made.kmsKeyId}, which is not in allowedKmsKeys${at}. Fix: use one of ${allowed.join(", ")}.`,
        );
      }
    }
    // Sources (AmiCopy, recipes) may be unencrypted: copying with encryption is the fix, so only launches count.
    await judgeUses(
      view,
      report,
      ["deploy"],
      (facts) => judgeEncryption(facts, view.settings),
      "the encryption",
    );
  },
});
