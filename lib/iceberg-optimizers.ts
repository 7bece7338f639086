import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { allow } from './defaults.js';
import { allowKeyVia } from './key-grants.js';
import { acknowledgeWildcardResources } from './nag.js';

/**
 * Snapshot retention: snapshots older than this many days are expired (with their unreferenced files), keeping
 * at least `ICEBERG_SNAPSHOTS_TO_KEEP`. Five days is Glue's own default; time travel reaches back as far.
 */
export const ICEBERG_SNAPSHOT_RETENTION_DAYS = 5;
export const ICEBERG_SNAPSHOTS_TO_KEEP = 1;
/** Orphan-file deletion: files no snapshot references are deleted once older than this (Glue's default). */
export const ICEBERG_ORPHAN_FILE_RETENTION_DAYS = 3;

/** The log groups the optimizers write to (fixed names, one per account and region, created by Glue). */
const OPTIMIZER_LOG_GROUPS = [
  '/aws-glue/iceberg-compaction/logs',
  '/aws-glue/iceberg-retention/logs',
  '/aws-glue/iceberg-orphan-file-deletion/logs',
];

export interface IcebergTableOptimizersProps {
  /** The Iceberg table (its optimizers are created after it). */
  readonly table: glue.CfnTable;
  readonly databaseName: string;
  readonly tableName: string;
  /** The bucket and key prefix (no slashes) of the table's location, and the bucket's key. */
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly encryptionKey: kms.IKey;
}

/**
 * The Glue table optimizers of one Iceberg table: compaction (bin-pack: Firehose commits many small files),
 * snapshot retention (each commit adds a snapshot, and the metadata grows without end otherwise) and orphan-file
 * deletion. Their role is the one AWS documents in "Table optimization prerequisites" (AWS Glue Developer
 * Guide), narrowed to this table and its location: objects under the table's prefix, the table, its database
 * and the catalog, the optimizers' log groups, and the bucket key through S3 only.
 */
export class IcebergTableOptimizers extends Construct {
  public readonly role: iam.Role;
  public readonly optimizers: glue.CfnTableOptimizer[];

  constructor(scope: Construct, id: string, props: IcebergTableOptimizersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `streamfeatures: Glue table optimizers of ${props.tableName}`,
    });
    const objects = [props.bucket.arnForObjects(`${props.prefix}/*`)];
    allow(this.role, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], objects);
    allow(this.role, ['s3:ListBucket'], [props.bucket.bucketArn]);
    allowKeyVia(this.role, props.encryptionKey, ['kms:Decrypt', 'kms:GenerateDataKey'], 's3');
    const glueArn = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, resourceName });
    allow(
      this.role,
      ['glue:GetTable', 'glue:UpdateTable'],
      [
        glueArn('catalog'),
        glueArn('database', props.databaseName),
        glueArn('table', `${props.databaseName}/${props.tableName}`),
      ],
    );
    const logGroups = OPTIMIZER_LOG_GROUPS.map((name) =>
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${name}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    allow(this.role, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], logGroups);
    acknowledgeWildcardResources(
      this.role,
      objects,
      'The optimizers rewrite, expire and delete data and metadata files Iceberg names itself: the grant is ' +
        "limited to the table's own location.",
    );
    acknowledgeWildcardResources(
      this.role,
      logGroups,
      'Glue names the log streams of each optimizer run: the grant is limited to the three log groups AWS ' +
        'documents for table optimizers.',
    );

    const optimizer = (
      type: string,
      configuration: Partial<glue.CfnTableOptimizer.TableOptimizerConfigurationProperty>,
    ) => {
      const resource = new glue.CfnTableOptimizer(this, type, {
        catalogId: stack.account,
        databaseName: props.databaseName,
        tableName: props.tableName,
        type,
        tableOptimizerConfiguration: { enabled: true, roleArn: this.role.roleArn, ...configuration },
      });
      // Glue checks the table and what the role may do when the optimizer is created.
      resource.node.addDependency(props.table, this.role);
      return resource;
    };
    this.optimizers = [
      optimizer('compaction', {
        compactionConfiguration: { icebergConfiguration: { strategy: 'binpack' } },
      }),
      optimizer('retention', {
        retentionConfiguration: {
          icebergConfiguration: {
            snapshotRetentionPeriodInDays: ICEBERG_SNAPSHOT_RETENTION_DAYS,
            numberOfSnapshotsToRetain: ICEBERG_SNAPSHOTS_TO_KEEP,
            cleanExpiredFiles: true,
          },
        },
      }),
      optimizer('orphan_file_deletion', {
        orphanFileDeletionConfiguration: {
          icebergConfiguration: { orphanFileRetentionPeriodInDays: ICEBERG_ORPHAN_FILE_RETENTION_DAYS },
        },
      }),
    ];
  }
}
