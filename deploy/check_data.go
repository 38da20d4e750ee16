package deploy

import (
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/rds"
	"github.com/awslabs/goformation/v7/cloudformation/sqs"
)

// storefrontTables are the DynamoDB tables the storefront (storefront/dynamo) reads: {prefix}products, … .
var storefrontTables = []string{"products", "sessions", "carts"}

var dataChecks = []Check{
	{ID: "rds", Promise: "PostgreSQL is Multi-AZ, encrypted with the stack's key, backed up, deletion-protected, private and snapshotted on delete", Run: checkRDS},
	{ID: "rds-read-replica", Promise: "the primary has a read replica", Run: checkReadReplica},
	{ID: "rds-tls", Promise: "PostgreSQL refuses connections without TLS (rds.force_ssl)", Run: checkRDSTLS},
	{ID: "dynamodb", Promise: "DynamoDB tables are on-demand, encrypted, with point-in-time recovery (every replica), TTL and deletion protection", Run: checkDynamo},
	{ID: "dynamodb-tables", Promise: "the storefront's tables (products, sessions, carts) exist under parameter names that are also outputs", Run: checkStorefrontTables},
	{ID: "encryption", Promise: "queues are encrypted and every KMS key rotates", Run: checkOtherEncryption},
}

func keepsData(p policies.DeletionPolicy) bool {
	return p == "Snapshot" || p == "Retain" || p == "RetainExceptOnCreate"
}

func checkRDS(s *Set, r *Report) {
	dbs := resources[*rds.DBInstance](s)
	if len(dbs) == 0 {
		r.Add(nil, "", "no RDS instance in any template")
	}
	for _, d := range dbs {
		db, t, id := d.R, d.T, d.ID
		add := func(format string, args ...any) { r.Add(t, id, format, args...) }
		if db.PubliclyAccessible == nil || *db.PubliclyAccessible {
			add("PubliclyAccessible must be false (explicitly: the default depends on the subnet group)")
		}
		if !deref(db.DeletionProtection) {
			add("DeletionProtection is off")
		}
		source := deref(db.SourceDBInstanceIdentifier)
		if source == "" {
			if !deref(db.MultiAZ) {
				add("MultiAZ is off: an AZ outage takes the database down")
			}
			if !deref(db.StorageEncrypted) {
				add("StorageEncrypted is off")
			}
			if src, key, ok := s.Trace(t, deref(db.KmsKeyId)); !ok || src.typeOf(key) != "AWS::KMS::Key" {
				add("KmsKeyId is not a key the stack creates")
			}
			if deref(db.BackupRetentionPeriod) <= 0 {
				add("automated backups are off (BackupRetentionPeriod %d)", deref(db.BackupRetentionPeriod))
			}
			if !keepsData(db.AWSCloudFormationDeletionPolicy) {
				add("DeletionPolicy %q would drop the data with the stack; want Snapshot", db.AWSCloudFormationDeletionPolicy)
			}
			continue
		}
		// A replica inherits encryption from its source; a replica of another region's instance must name a
		// key of its own region and is that region's database after a failover, so it gets the primary's rules.
		if name, ok := RefTarget(source); ok {
			if src, isDB := t.Resources[name].(*rds.DBInstance); isDB {
				if !deref(src.StorageEncrypted) {
					add("replica of an unencrypted instance")
				}
				continue
			}
		}
		if src, key, ok := s.Trace(t, deref(db.KmsKeyId)); !ok || src.typeOf(key) != "AWS::KMS::Key" {
			add("cross-region replica without a KmsKeyId of its region; it would not be encrypted")
		}
		if !deref(db.MultiAZ) {
			add("the standby region's replica is not Multi-AZ; promoted, it would be a single-AZ primary")
		}
		if !keepsData(db.AWSCloudFormationDeletionPolicy) {
			add("DeletionPolicy %q would drop the disaster-recovery copy with the stack", db.AWSCloudFormationDeletionPolicy)
		}
	}
}

func checkReadReplica(s *Set, r *Report) {
	for _, d := range resources[*rds.DBInstance](s) {
		if name, ok := RefTarget(d.R.SourceDBInstanceIdentifier); ok {
			if _, isDB := d.T.Resources[name].(*rds.DBInstance); isDB {
				return
			}
		}
	}
	r.Add(nil, "", "no DB instance is a read replica of a primary in the same template")
}

func checkRDSTLS(s *Set, r *Report) {
	for _, d := range resources[*rds.DBInstance](s) {
		name, ok := RefTarget(d.R.DBParameterGroupName)
		pg, isPG := d.T.Resources[name].(*rds.DBParameterGroup)
		if !ok || !isPG {
			r.Add(d.T, d.ID, "no DB parameter group of this template (the default allows plaintext connections)")
			continue
		}
		params, _ := pg.Parameters.(map[string]any)
		if v := params["rds.force_ssl"]; v != "1" && v != float64(1) {
			r.Add(d.T, name, "rds.force_ssl is not 1")
		}
	}
}

// table is the common view of AWS::DynamoDB::Table and ::GlobalTable.
type table struct {
	T               *Template
	ID              string
	Name            *string
	Billing         string
	SSE             bool
	TTL             bool
	PITR            []bool // per replica (one for a plain table)
	DeletionProtect []bool
	DeletionPolicy  policies.DeletionPolicy
}

func (s *Set) tables() []table {
	var out []table
	for _, x := range resources[*dynamodb.Table](s) {
		t := table{T: x.T, ID: x.ID, Name: x.R.TableName, Billing: deref(x.R.BillingMode), DeletionPolicy: x.R.AWSCloudFormationDeletionPolicy}
		t.SSE = x.R.SSESpecification != nil && x.R.SSESpecification.SSEEnabled
		t.TTL = x.R.TimeToLiveSpecification != nil && x.R.TimeToLiveSpecification.Enabled
		t.PITR = []bool{x.R.PointInTimeRecoverySpecification != nil && deref(x.R.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled)}
		t.DeletionProtect = []bool{deref(x.R.DeletionProtectionEnabled)}
		out = append(out, t)
	}
	for _, x := range resources[*dynamodb.GlobalTable](s) {
		t := table{T: x.T, ID: x.ID, Name: x.R.TableName, Billing: deref(x.R.BillingMode), DeletionPolicy: x.R.AWSCloudFormationDeletionPolicy}
		t.SSE = x.R.SSESpecification != nil && x.R.SSESpecification.SSEEnabled
		t.TTL = x.R.TimeToLiveSpecification != nil && x.R.TimeToLiveSpecification.Enabled
		for _, rep := range x.R.Replicas {
			t.PITR = append(t.PITR, rep.PointInTimeRecoverySpecification != nil && deref(rep.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled))
			t.DeletionProtect = append(t.DeletionProtect, deref(rep.DeletionProtectionEnabled))
		}
		out = append(out, t)
	}
	return out
}

func checkDynamo(s *Set, r *Report) {
	tables := s.tables()
	if len(tables) == 0 {
		r.Add(nil, "", "no DynamoDB table in any template")
	}
	for _, t := range tables {
		add := func(format string, args ...any) { r.Add(t.T, t.ID, format, args...) }
		if t.Billing != "PAY_PER_REQUEST" {
			add("BillingMode %q; on-demand (PAY_PER_REQUEST) needs no capacity planning and costs nothing idle", t.Billing)
		}
		if !t.SSE {
			add("SSESpecification.SSEEnabled is off (KMS encryption at rest)")
		}
		if !t.TTL {
			add("TimeToLiveSpecification is not enabled")
		}
		if len(t.PITR) == 0 {
			add("no replicas")
		}
		for i, on := range t.PITR {
			if !on {
				add("point-in-time recovery is off (replica %d)", i+1)
			}
		}
		for i, on := range t.DeletionProtect {
			if !on {
				add("deletion protection is off (replica %d)", i+1)
			}
		}
		if !keepsData(t.DeletionPolicy) {
			add("DeletionPolicy %q would drop the table with the stack; want Retain", t.DeletionPolicy)
		}
	}
}

func checkStorefrontTables(s *Set, r *Report) {
	var names []string
	for _, t := range s.tables() {
		param, ok := RefTarget(t.Name)
		if !ok {
			r.Add(t.T, t.ID, "TableName must be a parameter, so operators can prefix it and the storefront can be told")
			continue
		}
		def, _ := t.T.Default(param)
		names = append(names, def)
		exported := false
		for _, o := range t.T.Outputs {
			if name, ok := RefTarget(o.Value); ok && name == t.ID {
				exported = true
			}
		}
		if !exported {
			r.Add(t.T, t.ID, "table name is not an output, so the compute and monitoring stacks cannot be given it")
		}
	}
	for _, want := range storefrontTables {
		found := false
		for _, n := range names {
			found = found || strings.HasSuffix(n, want)
		}
		if !found {
			r.Add(nil, "", "no table named {prefix}%s by default; the storefront uses it", want)
		}
	}
}

func checkOtherEncryption(s *Set, r *Report) {
	for _, q := range resources[*sqs.Queue](s) {
		if !deref(q.R.SqsManagedSseEnabled) && q.R.KmsMasterKeyId == nil {
			r.Add(q.T, q.ID, "queue is not encrypted")
		}
	}
	for _, k := range resources[*kms.Key](s) {
		if !deref(k.R.EnableKeyRotation) {
			r.Add(k.T, k.ID, "key rotation is off")
		}
	}
}
