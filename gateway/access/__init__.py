"""Access control: who may do what to a bucket or an object.

Pure data and decisions, no I/O: ``actions`` names the IAM action of every S3 operation,
``policy`` parses and evaluates bucket policies (with ``conditions``), ``acl`` models canned ACLs
and grants, ``bucket_access`` holds a bucket's parsed access settings (policy, ACL, public access
block, object ownership) and ``evaluate`` decides: explicit Deny > Allow > default deny. The gateway
glue that fetches what a decision needs lives in ``guard``.
"""
