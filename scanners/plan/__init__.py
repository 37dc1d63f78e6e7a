"""The same checks on a Terraform plan before deploy: `terraform show -json` read (reader), each planned
AWS resource turned into the collectors' document (translate), judged (runner) and reported (report)."""
