import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link AmiScanning}. */
export interface AmiScanningArgs {
  /** This account's id (Inspector is enabled for it). */
  readonly accountId: pulumi.Input<string>;
  /** Inspector v2 resource types to scan: EC2 always, ECR where configured. */
  readonly resourceTypes: readonly ("EC2" | "ECR")[];
  /** Make this account the organisation's Inspector delegated administrator (run from the management account). */
  readonly delegatedAdminAccountId?: string;
  /** Auto-enable Inspector for new organisation members (run from the delegated administrator account). */
  readonly organizationAutoEnable: boolean;
}

/**
 * Amazon Inspector v2 for the AMI estate: enabled for EC2 (and ECR where configured) in this account, with an
 * optional delegated administrator and organisation-wide auto-enable. Image Builder's image scanning
 * (enabled by {@link GoldenImagePipeline}) relies on it.
 */
export class AmiScanning extends pulumi.ComponentResource {
  readonly resourceTypes: pulumi.Output<string[]>;

  constructor(name: string, args: AmiScanningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ami-guard:components:AmiScanning", name, {}, opts);
    if (!args.resourceTypes.includes("EC2")) throw new Error(`${name}: Inspector must scan EC2`);

    const enabler = new aws.inspector2.Enabler(
      `${name}-inspector`,
      { accountIds: [args.accountId], resourceTypes: [...args.resourceTypes] },
      { parent: this },
    );
    const admin = args.delegatedAdminAccountId
      ? new aws.inspector2.DelegatedAdminAccount(
          `${name}-delegated-admin`,
          { accountId: args.delegatedAdminAccountId },
          { parent: this, dependsOn: [enabler] },
        )
      : undefined;
    if (args.organizationAutoEnable) {
      new aws.inspector2.OrganizationConfiguration(
        `${name}-org-auto-enable`,
        {
          autoEnable: {
            ec2: true,
            ecr: args.resourceTypes.includes("ECR"),
            lambda: false,
            lambdaCode: false,
          },
        },
        { parent: this, dependsOn: admin ? [enabler, admin] : [enabler] },
      );
    }
    this.resourceTypes = enabler.resourceTypes;
    this.registerOutputs({ resourceTypes: this.resourceTypes });
  }
}
