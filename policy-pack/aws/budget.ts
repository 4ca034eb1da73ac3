/**
 * The bound on the pack's wait for AWS. Each call (retries included) gets at most AMI_GUARD_LOOKUP_BUDGET_MS;
 * once an endpoint (`<service>/<region>`) has failed by timeout, every later call to it through the same
 * budget fails at once with that cause, so a hung endpoint costs one budget per endpoint and process, not one
 * per resource. The process's default sources (EC2 images, SSM parameters, launch template versions, snapshots)
 * share one budget: a hung EC2 endpoint noticed by one of them is not asked again by another.
 */
import type { Ec2Like } from "./lookup";

/** The default bound on one AWS call of the pack, retries included. */
export const DEFAULT_LOOKUP_BUDGET_MS = 45_000;

/** Failures that mean the endpoint did not answer in time (the SDK's own timeouts and our budget). */
const TIMEOUTS = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ETIMEDOUT",
  "LookupBudgetExceeded",
]);

/** An SDK error's code or name ("" when it has neither). */
export function errorName(e: unknown): string {
  const err = e as { name?: string; Code?: string } | undefined;
  return err?.Code ?? err?.name ?? "";
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return TIMEOUTS.has(errorName(e)) || (typeof code === "string" && TIMEOUTS.has(code));
}

/** An Error with `name` set, as SDK errors carry their code. */
export function failure(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** A positive number from an environment variable, else undefined. */
export function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A budget on calls and the endpoints it has seen time out. */
export class CallBudget {
  /** Most milliseconds one call may take, retries included. */
  readonly ms: number;
  private readonly unresponsive = new Map<string, Error>();

  /** `ms` defaults to AMI_GUARD_LOOKUP_BUDGET_MS, else 45000. */
  constructor(ms?: number) {
    this.ms = ms ?? positive(process.env.AMI_GUARD_LOOKUP_BUDGET_MS) ?? DEFAULT_LOOKUP_BUDGET_MS;
  }

  /**
   * Sends one call on `client`, bounded by the budget (the SDK call is aborted when it runs out). An endpoint
   * that has failed by timeout is not asked again: the call fails at once with the first timeout's cause.
   * `describe` words an error for that later message; `markTimeouts` false leaves noting a timeout to the
   * caller ({@link noteTimeout}).
   */
  async send(
    client: Ec2Like,
    service: string,
    region: string,
    command: unknown,
    describe: (e: unknown) => string,
    markTimeouts = true,
  ): Promise<unknown> {
    const key = `${service}/${region}`;
    const down = this.unresponsive.get(key);
    if (down) throw down;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          failure(
            "LookupBudgetExceeded",
            `no answer within ${this.ms} ms, retries included (AMI_GUARD_LOOKUP_BUDGET_MS)`,
          ),
        );
        controller.abort();
      }, this.ms);
    });
    try {
      return await Promise.race([client.send(command, { abortSignal: controller.signal }), budget]);
    } catch (e) {
      if (markTimeouts) this.noteTimeout(service, region, e, describe);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After a timeout `e`, the endpoint is not asked again through this budget. For calls sent with
   * `markTimeouts` false (an answer that may never be read), once the answer is read.
   */
  noteTimeout(service: string, region: string, e: unknown, describe: (e: unknown) => string): void {
    const key = `${service}/${region}`;
    if (isTimeout(e) && !this.unresponsive.has(key)) {
      this.unresponsive.set(
        key,
        failure(
          errorName(e) || "TimeoutError",
          `${service.toUpperCase()} in ${region} did not answer an earlier call (${describe(e)}); not asked again by this process`,
        ),
      );
    }
  }

  /**
   * The clients of one service for a source: `make`'s client for each region, made at first use and kept,
   * every call sent through this budget.
   */
  clientsFor(
    service: string,
    make: (region: string) => Ec2Like,
    describe: (e: unknown) => string,
  ): (region: string) => Ec2Like {
    const made = new Map<string, Ec2Like>();
    return (region) => {
      let c = made.get(region);
      if (!c) made.set(region, (c = this.wrap(make(region), service, region, describe)));
      return c;
    };
  }

  /** `client` with every call sent through this budget. */
  wrap(client: Ec2Like, service: string, region: string, describe: (e: unknown) => string): Ec2Like {
    return { send: (command: unknown) => this.send(client, service, region, command, describe) };
  }
}

let shared: CallBudget | undefined;

/** The budget the process's default sources share (made at first use, so the variable is read then). */
export function processBudget(): CallBudget {
  return (shared ??= new CallBudget());
}
