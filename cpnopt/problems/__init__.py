"""One package per problem family: instance, generator, evaluator."""
