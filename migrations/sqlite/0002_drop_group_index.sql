-- Deleting a resource group finds its resources through resources_by_subscription;
-- a separate index cost every insert a page write.
DROP INDEX resources_by_group;
