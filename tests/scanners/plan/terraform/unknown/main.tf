# Values known only after apply: a policy built from the bucket's ARN, a volume whose encryption the
# region's default decides, a listener whose TLS policy AWS picks.
resource "aws_s3_bucket" "reports" {
  bucket = "acme-reports"
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_ebs_volume" "cache" {
  availability_zone = "eu-west-1a"
  size              = 10
}

resource "aws_lb" "api" {
  name               = "api"
  load_balancer_type = "network"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
}

resource "aws_lb_listener" "tls" {
  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "TLS"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/api"
  default_action {
    type             = "forward"
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1"
  }
}
