/**
 * vitest globalSetup for the workers project: starts the fake S3 and Azure Blob services in
 * Node and provides their addresses to tests in workerd (`inject("fakeStores")`), which reach
 * them over real HTTP on 127.0.0.1.
 */
import type { TestProject } from "vitest/node";
import { FakeAzureBlob } from "./fake-azure-blob.ts";
import { FakeS3 } from "./fake-s3.ts";

/** Credentials the fakes accept; tests hand them to the Worker as secrets. */
export const FAKE_STORE_CREDENTIALS = {
  s3AccessKeyId: "AKIDWORKERD",
  s3Secret: "fake-s3-secret-for-workerd-tests",
  azureSig: "fake-azure-sig-for-workerd-tests",
} as const;

declare module "vitest" {
  export interface ProvidedContext {
    fakeStores: { s3Endpoint: string; s3Region: string; s3Bucket: string; azureBase: string; azureContainer: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = new FakeS3({ accessKeyId: FAKE_STORE_CREDENTIALS.s3AccessKeyId, secretAccessKey: FAKE_STORE_CREDENTIALS.s3Secret, region: "auto", buckets: ["tenant-evidence"], objectLockBuckets: ["tenant-evidence"] });
  const azure = new FakeAzureBlob({ account: "devaccount", containers: ["evidence"], sig: FAKE_STORE_CREDENTIALS.azureSig });
  const s3Endpoint = await s3.start();
  const azureBase = await azure.start();
  project.provide("fakeStores", { s3Endpoint, s3Region: "auto", s3Bucket: "tenant-evidence", azureBase, azureContainer: "evidence" });
  return async () => {
    await s3.close();
    await azure.close();
  };
}
