resource "aws_s3_account_public_access_block" "account" {
  block_public_acls       = true
  ignore_public_acls      = false
  block_public_policy     = true
  restrict_public_buckets = false
}

# Public and encrypted by S3's own keys.
resource "aws_s3_bucket" "public_logs" {
  bucket = "acme-public-logs"
}

resource "aws_s3_bucket_public_access_block" "public_logs" {
  bucket                  = aws_s3_bucket.public_logs.id
  block_public_acls       = false
  ignore_public_acls      = false
  block_public_policy     = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_acl" "public_logs" {
  bucket = aws_s3_bucket.public_logs.id
  acl    = "public-read"
}

resource "aws_s3_bucket_policy" "public_logs" {
  bucket = aws_s3_bucket.public_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicRead"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::acme-public-logs/*"
    }]
  })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "public_logs" {
  bucket = aws_s3_bucket.public_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "public_logs" {
  bucket = aws_s3_bucket.public_logs.id
  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "public_logs" {
  bucket = aws_s3_bucket.public_logs.id
  rule {
    id     = "current-only"
    status = "Enabled"
    filter {}
    expiration {
      days = 90
    }
  }
}

# Nothing configured beyond the bucket itself.
resource "aws_s3_bucket" "plain_logs" {
  bucket = "acme-plain-logs"
}

resource "aws_security_group" "admin" {
  name   = "admin"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "admin_postgres" {
  type              = "ingress"
  security_group_id = aws_security_group.admin.id
  from_port         = 5432
  to_port           = 5432
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_default_security_group" "main" {
  vpc_id = aws_vpc.main.id
  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
}

resource "aws_network_acl" "open" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.a.id]
}

resource "aws_network_acl_rule" "open_inbound" {
  network_acl_id = aws_network_acl.open.id
  rule_number    = 100
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}

resource "aws_vpc_dhcp_options" "outside_time" {
  domain_name_servers = ["AmazonProvidedDNS"]
  ntp_servers         = ["192.0.2.123"]
}

resource "aws_vpc_dhcp_options_association" "main" {
  vpc_id          = aws_vpc.main.id
  dhcp_options_id = aws_vpc_dhcp_options.outside_time.id
}

resource "aws_ebs_encryption_by_default" "off" {
  enabled = false
}

resource "aws_ebs_volume" "scratch" {
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = false
}

resource "aws_instance" "legacy" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
  metadata_options {
    http_tokens = "optional"
  }
}

resource "aws_db_instance" "legacy" {
  identifier              = "legacy"
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "legacy"
  manage_master_user_password = true
  storage_encrypted       = false
  backup_retention_period = 0
  deletion_protection     = false
  publicly_accessible     = true
  vpc_security_group_ids  = [aws_security_group.admin.id]
  skip_final_snapshot     = true
}

resource "aws_lb" "legacy" {
  name               = "legacy"
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.admin.id]
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
}

resource "aws_lb_listener" "plain" {
  load_balancer_arn = aws_lb.legacy.arn
  port              = 8080
  protocol          = "HTTP"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}

resource "aws_lb_listener" "old_tls" {
  load_balancer_arn = aws_lb.legacy.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-2016-08"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/legacy"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}

resource "aws_kms_key" "legacy" {
  description = "legacy"
}

resource "aws_iam_role" "admin" {
  name = "admin"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.admin.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_policy" "everything" {
  name = "everything"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_user" "deploy_bot" {
  name = "deploy-bot"
}

resource "aws_iam_access_key" "deploy_bot" {
  user = aws_iam_user.deploy_bot.name
}

resource "aws_iam_user_login_profile" "deploy_bot" {
  user = aws_iam_user.deploy_bot.name
}

resource "aws_iam_user_policy_attachment" "deploy_bot" {
  user       = aws_iam_user.deploy_bot.name
  policy_arn = aws_iam_policy.everything.arn
}

resource "aws_cloudtrail" "quiet" {
  name                       = "quiet"
  s3_bucket_name             = "acme-audit-logs"
  enable_logging             = false
  enable_log_file_validation = false
}

resource "aws_cloudwatch_log_group" "forever" {
  name = "/acme/forever"
}
